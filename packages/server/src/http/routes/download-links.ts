import type { FastifyInstance } from "fastify";
import { z } from "zod";

import { BadRequestError } from "../../errors.js";
import type { BotManager } from "../../manager/index.js";
import type { WorkspaceFiles } from "../../workspace/index.js";
import { signedLinkSchema } from "../api-schemas.js";
import { sendDownload } from "../files/download.js";
import { requiredPath } from "../files/path-params.js";
import { botParams } from "../params.js";
import { addRoute, type AnyRoute, parse } from "../route.js";
import type { LinkSigner } from "../signed-links.js";
import { exportArchive } from "./data.js";

const SIGNED_DOWNLOAD_ROUTE = "/bots/:bot_id/container/fs/signed-download";
const SIGNED_EXPORT_ROUTE = "/bots/:bot_id/container/signed-export";
/** The routes a browser reaches with a signed link instead of a token (http/auth.ts lets them through). */
export const DOWNLOAD_LINK_ROUTES: ReadonlySet<string> = new Set([SIGNED_DOWNLOAD_ROUTE, SIGNED_EXPORT_ROUTE]);

/** Long enough to start a download; a link that leaks is soon useless. */
const DEFAULT_TTL_SECONDS = 60;
const MAX_TTL_SECONDS = 3_600;

/** One link reaches one file of one bot: the path is part of what is signed. */
const downloadScope = (filePath: string) => `download:${filePath}`;
const EXPORT_SCOPE = "export";

const linkParam = z.string({ error: "is required" }).min(1).max(8192);
const signedQuery = z.object({ path: requiredPath, link: linkParam });
const ttlBody = z.number().int().min(1).max(MAX_TTL_SECONDS).default(DEFAULT_TTL_SECONDS);

/**
 * Signed download links: a browser saves a file by navigating to a URL,
 * which cannot carry `Authorization`, and fetching the file into the page to
 * save it would hold it whole in memory. `POST …/download-link` (with a
 * token) signs a short-lived URL of one file that the browser then streams
 * to disk; the token never goes into the URL (signed-links.ts). The same
 * for an export of the bot's /data (`POST …/export-link`).
 */
export function downloadLinkRoutes(
  app: FastifyInstance,
  routes: AnyRoute[],
  options: { files: WorkspaceFiles; links: LinkSigner; manager: Pick<BotManager, "agentFor"> },
): void {
  addRoute(app, routes, {
    method: "POST",
    url: "/bots/:bot_id/container/fs/download-link",
    summary: `A signed URL that downloads one file without a token, for ttl_seconds (default ${DEFAULT_TTL_SECONDS})`,
    params: botParams,
    body: z
      .object({
        path: requiredPath,
        ttl_seconds: ttlBody,
      })
      .strict(),
    response: signedLinkSchema,
    handler: async ({ params, body }, request) => {
      const entry = await options.files.describe(params.bot_id, body.path);
      if (entry.isDir) throw new BadRequestError(`body.path: ${body.path} is a folder; a download link is for a file`);
      const { link, grant } = options.links.sign(params.bot_id, downloadScope(entry.path), body.ttl_seconds);
      const query = new URLSearchParams({ path: entry.path, link });
      const path = `/bots/${encodeURIComponent(params.bot_id)}/container/fs/signed-download?${query}`;
      return {
        url: `${request.protocol}://${request.host}${path}`,
        path,
        expires_at: new Date(grant.exp * 1000).toISOString(),
      };
    },
  });

  addRoute(app, routes, {
    method: "POST",
    url: "/bots/:bot_id/container/export-link",
    summary: `A signed URL that streams the bot's /data as a tar.gz without a token, for ttl_seconds (default ${DEFAULT_TTL_SECONDS})`,
    params: botParams,
    body: z.object({ ttl_seconds: ttlBody }).strict().default({ ttl_seconds: DEFAULT_TTL_SECONDS }),
    response: signedLinkSchema,
    handler: async ({ params, body }, request) => {
      const { link, grant } = options.links.sign(params.bot_id, EXPORT_SCOPE, body.ttl_seconds);
      const path = `/bots/${encodeURIComponent(params.bot_id)}/container/signed-export?${new URLSearchParams({ link })}`;
      return {
        url: `${request.protocol}://${request.host}${path}`,
        path,
        expires_at: new Date(grant.exp * 1000).toISOString(),
      };
    },
  });

  void app.register(async (scope) => {
    // Before the known-bot check: a caller without a genuine link learns nothing, not even whether the bot exists.
    scope.addHook("onRequest", async (request) => {
      const { bot_id: botId } = parse(botParams, request.params, "params");
      if (request.routeOptions.url === SIGNED_EXPORT_ROUTE) {
        const { link } = parse(z.object({ link: linkParam }), request.query, "query");
        options.links.verify(link, botId, EXPORT_SCOPE);
        return;
      }
      const { path: filePath, link } = parse(signedQuery, request.query, "query");
      options.links.verify(link, botId, downloadScope(filePath));
    });
    addRoute(scope, routes, {
      method: "GET",
      url: SIGNED_DOWNLOAD_ROUTE,
      summary: "Stream the file a signed download link names (no token: the link is the credential); honours Range",
      params: botParams,
      query: signedQuery,
      access: "link",
      response: { kind: "file", description: "the file's bytes (206 for a Range)" },
      alsoAnswers: { 206: "the requested range of the file" },
      handler: async ({ params, query }, request, reply) =>
        sendDownload(await options.files.openDownload(params.bot_id, query.path), request, reply),
    });
    addRoute(scope, routes, {
      method: "GET",
      url: SIGNED_EXPORT_ROUTE,
      summary: "Stream the bot's /data as a tar.gz for a signed export link (no token: the link is the credential)",
      params: botParams,
      query: z.object({ link: linkParam }),
      access: "link",
      response: { kind: "tar.gz", description: "the bot's /data as a gzip-compressed tar archive" },
      handler: async ({ params }, _request, reply) => exportArchive(options.manager, params.bot_id, reply),
    });
  });
}
