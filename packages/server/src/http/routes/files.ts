import { Readable } from "node:stream";

import multipart from "@fastify/multipart";
import type { FastifyInstance } from "fastify";
import { z } from "zod";

import type { AgentClient } from "../../client/index.js";
import { BadRequestError, NotFoundError, reachWorkspace } from "../../errors.js";
import type { BotManager } from "../../manager/index.js";
import { answerBeforeBody } from "../early-answer.js";
import { optionalPath, refuseProtected, requiredPath } from "../files/container-path.js";
import { sendDownload } from "../files/download.js";
import { entryView } from "../files/entry-view.js";
import { compileGlob } from "../files/glob.js";
import { collectPage, decodeCursor, type PageScope } from "../files/page.js";
import { readText } from "../files/read-text.js";
import { walkTree } from "../files/tree-walk.js";
import { checkUploadTarget, uploadMultipart, uploadStream, uploadTooLarge } from "../files/upload.js";
import { botParams } from "../params.js";
import { addRoute, type AnyRoute } from "../route.js";

export interface FileRouteOptions {
  maxUploadBytes: number;
  maxReadBytes: number;
}

const FS = "/bots/:bot_id/container/fs";
// A sparse search stops after this many entries and hands back a cursor.
const SEARCH_SCAN_BUDGET = 100_000;

const paging = {
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  cursor: z.string().min(1).max(16_384).optional(),
};
const ok = { ok: true } as const;

/** The file manager, /bots/:bot_id/container/fs…: paths absolute from the container root (docs/reference.md#file-manager). */
export function fileRoutes(
  app: FastifyInstance,
  routes: AnyRoute[],
  manager: BotManager,
  options: FileRouteOptions,
): void {
  const agentOf = (botId: string): Promise<AgentClient> => reachWorkspace(botId, (id) => manager.agentFor(id));
  // Waits for a stop in progress (it holds the bot's lock), so the answer is what the stop left.
  const workspaceRunning = async (botId: string) => (await manager.state(botId)).taskRunning;
  const statExisting = async (agent: AgentClient, target: string) => {
    try {
      return await agent.stat(target);
    } catch (error) {
      if (error instanceof NotFoundError)
        throw new NotFoundError(`no such file or directory: ${target}`, { cause: error });
      throw error;
    }
  };

  // One child scope: multipart parsing, the raw upload body and this error
  // handler are seen by these routes only.
  void app.register(async (scope) => {
    // limitBytes reports an oversized file, before WriteRaw commits.
    await scope.register(multipart, { throwFileSizeLimit: false });
    scope.setErrorHandler((error, request, reply) => {
      // The app's handler then answers as for any other route.
      answerBeforeBody(request, reply);
      throw error;
    });

    addRoute(scope, routes, {
      method: "GET",
      url: FS,
      summary: "Describe a file or folder: {name, path, size, mode, modTime, isDir}",
      params: botParams,
      query: z.object({ path: optionalPath("/") }),
      handler: async ({ params, query }) =>
        entryView(query.path, await statExisting(await agentOf(params.bot_id), query.path)),
    });

    addRoute(scope, routes, {
      method: "GET",
      url: `${FS}/list`,
      summary: "List a folder, or with recursive=true its whole tree depth first, a page at a time (nextCursor)",
      params: botParams,
      query: z.object({ path: optionalPath("/"), recursive: z.enum(["true", "false"]).default("false"), ...paging }),
      handler: async ({ params, query }) => {
        const recursive = query.recursive === "true";
        const scope: PageScope = { kind: recursive ? "tree" : "list", root: query.path };
        const after = query.cursor === undefined ? undefined : decodeCursor(scope, query.cursor);
        const walk = walkTree(await agentOf(params.bot_id), query.path, { recursive, after });
        return { path: query.path, ...(await collectPage(walk, scope, { limit: query.limit })) };
      },
    });

    addRoute(scope, routes, {
      method: "GET",
      url: `${FS}/search`,
      summary: "Find entries under a folder whose name matches a glob (* ? [..]), a page at a time",
      params: botParams,
      query: z.object({
        path: optionalPath("/data"),
        pattern: z.string({ error: "is required" }).min(1, "is required").max(1024),
        ...paging,
      }),
      handler: async ({ params, query }) => {
        const matcher = compileGlob(query.pattern);
        const scope: PageScope = { kind: `search:${query.pattern}`, root: query.path };
        const after = query.cursor === undefined ? undefined : decodeCursor(scope, query.cursor);
        const walk = walkTree(await agentOf(params.bot_id), query.path, { recursive: true, after });
        const page = await collectPage(walk, scope, {
          limit: query.limit,
          accept: (entry) => matcher.test(entry.name),
          scanBudget: SEARCH_SCAN_BUDGET,
        });
        return { path: query.path, pattern: query.pattern, ...page };
      },
    });

    addRoute(scope, routes, {
      method: "GET",
      url: `${FS}/read`,
      summary: "A UTF-8 text file's whole content: {path, content, size}; 413 past files.max_read_bytes",
      params: botParams,
      query: z.object({ path: requiredPath }),
      handler: async ({ params, query }) => {
        const agent = await agentOf(params.bot_id);
        return readText(agent, query.path, await statExisting(agent, query.path), options.maxReadBytes);
      },
    });

    addRoute(scope, routes, {
      method: "GET",
      url: `${FS}/download`,
      summary: "Stream a file's bytes; honours a single Range (206, 416)",
      params: botParams,
      query: z.object({ path: requiredPath }),
      handler: async ({ params, query }, request, reply) => {
        const agent = await agentOf(params.bot_id);
        await sendDownload(agent, query.path, await statExisting(agent, query.path), request, reply);
      },
    });

    addRoute(scope, routes, {
      method: "POST",
      url: `${FS}/write`,
      summary: "Write a text file atomically (JSON {path, content}; bodies up to 8 MiB)",
      params: botParams,
      body: z.object({ path: requiredPath, content: z.string({ error: "must be a string" }) }).strict(),
      handler: async ({ params, body }) => {
        const agent = await agentOf(params.bot_id);
        await checkUploadTarget(agent, body.path);
        // WriteRaw, not the unary WriteFile: that one fails past gRPC's 4 MiB
        // message limit.
        await agent.writeRaw(body.path, Buffer.from(body.content));
        return ok;
      },
    });

    addRoute(scope, routes, {
      method: "POST",
      url: `${FS}/upload`,
      summary: "Upload a file as multipart/form-data: a path field, then the file part; {path, size}",
      params: botParams,
      handler: async ({ params }, request) =>
        uploadMultipart(
          request,
          () => agentOf(params.bot_id),
          options.maxUploadBytes,
          () => workspaceRunning(params.bot_id),
        ),
    });

    // The raw variant, in its own scope so that any body, whatever its type
    // (`curl -T` sends none), reaches it as a stream: the fast path for big
    // files and the CLI.
    void scope.register(async (raw) => {
      raw.removeAllContentTypeParsers();
      raw.addContentTypeParser("*", (_request, payload, done) => done(null, payload));
      addRoute(raw, routes, {
        method: "PUT",
        url: `${FS}/upload`,
        summary: "Upload a file as the raw request body (application/octet-stream); {path, size}",
        params: botParams,
        query: z.object({ path: requiredPath }),
        handler: async ({ params, query }, request) => {
          if (Number(request.headers["content-length"] ?? 0) > options.maxUploadBytes) {
            throw uploadTooLarge(options.maxUploadBytes);
          }
          // No body at all (Content-Length: 0) is an empty file.
          const body: Readable | Uint8Array[] = request.body instanceof Readable ? request.body : [];
          const agent = await agentOf(params.bot_id);
          await checkUploadTarget(agent, query.path);
          return uploadStream(agent, query.path, body, options.maxUploadBytes, () => workspaceRunning(params.bot_id));
        },
      });
    });

    addRoute(scope, routes, {
      method: "POST",
      url: `${FS}/mkdir`,
      summary: "Create a folder and its missing parents",
      params: botParams,
      body: z.object({ path: requiredPath }).strict(),
      handler: async ({ params, body }) => {
        await (await agentOf(params.bot_id)).mkdir(body.path);
        return ok;
      },
    });

    addRoute(scope, routes, {
      method: "POST",
      url: `${FS}/delete`,
      summary: "Delete a file, or a folder (recursive=true for a non-empty one); 403 for folders the workspace needs",
      params: botParams,
      body: z
        .object({ path: requiredPath, recursive: z.boolean({ error: "must be a boolean" }).default(false) })
        .strict(),
      handler: async ({ params, body }) => {
        refuseProtected(body.path, "delete");
        await (await agentOf(params.bot_id)).deleteFile(body.path, { recursive: body.recursive });
        return ok;
      },
    });

    addRoute(scope, routes, {
      method: "POST",
      url: `${FS}/rename`,
      summary: "Rename or move a file or folder: {oldPath, newPath}",
      params: botParams,
      body: z.object({ oldPath: requiredPath, newPath: requiredPath }).strict(),
      handler: async ({ params, body }) => {
        refuseProtected(body.oldPath, "rename");
        refuseProtected(body.newPath, "replace");
        if (body.newPath.startsWith(`${body.oldPath}/`)) {
          throw new BadRequestError(`cannot move ${body.oldPath} into itself`);
        }
        await (await agentOf(params.bot_id)).rename(body.oldPath, body.newPath);
        return ok;
      },
    });
  });
}
