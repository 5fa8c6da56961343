import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";

import { NotFoundError } from "../../errors.js";
import {
  downstreamResponseHeaders,
  PATH_FORM_CSP,
  portOriginHostname,
  portPrefix,
  type PortProxy,
} from "../../ports/index.js";
import type { Principal } from "../auth.js";
import { botParams } from "../params.js";
import { addRoute, type AnyRoute, parse } from "../route.js";
import { type LinkSigner, MAX_LINK_TTL_SECONDS } from "../signed-links.js";
import type { BotDirectory } from "./bots.js";
import {
  appPathOf,
  checkPortAccess,
  linkCookie,
  linkParamOf,
  type PortAccess,
  portSchema,
  portScope,
  withoutLinkParam,
} from "./port-access.js";
import { clientSide, protocolOf, refuseUpgrade, relayResponse } from "./port-relay.js";

const PROXY_ROUTE = "/bots/:bot_id/ports/:port/*";
const PORT_ROOT_ROUTE = "/bots/:bot_id/ports/:port";
/** The routes a browser reaches with a signed link instead of a token (http/auth.ts lets them through). */
export const PORT_LINK_ROUTES: ReadonlySet<string> = new Set([PROXY_ROUTE, PORT_ROOT_ROUTE]);

const PROXIED_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
const DEFAULT_LINK_TTL_SECONDS = 3_600;
const UPGRADE_PATH = /^\/bots\/([^/?]+)\/ports\/([^/?]+)(?:[/?]|$)/;

const portParams = botParams.extend({ port: portSchema });

export interface PortRouteOptions {
  proxy: PortProxy;
  links: LinkSigner;
  bots: Pick<BotDirectory, "getBot">;
  /** Checks a bearer header, for upgrades (which Fastify's hooks never see). */
  authenticate: (header: string | undefined) => Promise<Principal>;
  /** `[ports] domain`: where the ports' own origins are (port-origin.ts). */
  originDomain: string;
}

/**
 * `/bots/:bot_id/ports/:port/*`: the server a bot runs on that port, through
 * its agent (docs/ports.md), for a token or a signed link; WebSocket upgrades
 * of the same paths; and `POST .../link`, which signs such a link.
 */
export function portRoutes(app: FastifyInstance, routes: AnyRoute[], options: PortRouteOptions): void {
  const access = new WeakMap<FastifyRequest, PortAccess>();

  addRoute(app, routes, {
    method: "POST",
    url: "/bots/:bot_id/ports/:port/link",
    summary: "A signed URL of the bot's port, on the port's own origin, that a browser opens without a token",
    params: portParams,
    body: z.object({
      ttl_seconds: z.number().int().min(1).max(MAX_LINK_TTL_SECONDS).default(DEFAULT_LINK_TTL_SECONDS),
    }),
    response: z
      .object({ url: z.string(), hostname: z.string(), path: z.string(), expires_at: z.iso.datetime() })
      .meta({ id: "PortLink" }),
    handler: async ({ params, body }, request) => {
      const { link, grant } = options.links.sign(params.bot_id, portScope(params.port), body.ttl_seconds);
      const hostname = portOriginHostname(params.bot_id, params.port, options.originDomain);
      // The port origin is served on the API's own port, so the link keeps the port the caller used.
      const apiPort = new URL(`${request.protocol}://${request.host}`).port;
      const origin = `${request.protocol}://${hostname}${apiPort ? `:${apiPort}` : ""}`;
      return {
        url: `${origin}/?botbox_link=${link}`,
        hostname,
        // The path form, under botbox's own origin (docs/ports.md says what it gives up).
        path: `${portPrefix(params.bot_id, params.port)}/?botbox_link=${link}`,
        expires_at: new Date(grant.exp * 1000).toISOString(),
      };
    },
  });

  // Bodies stream to the bot as they are: in this context no parser reads them.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_request, _payload, done) => done(null, undefined));
    // After auth.ts's hook, before the known-bot check and the body: nothing reaches the bot without access.
    scope.addHook("onRequest", async (request, reply) => {
      // Every answer under the path form, refusals and redirects included, runs in an opaque origin.
      void reply.header("content-security-policy", PATH_FORM_CSP);
      const raw = request.params as { bot_id?: string; port?: string };
      const { bot_id: botId, port } = parsePortParams(raw.bot_id, raw.port);
      const linkInUrl = linkParamOf(request.url);
      access.set(
        request,
        checkPortAccess(
          options.links,
          { principal: request.principal, headers: request.headers, linkInUrl },
          botId,
          port,
        ),
      );
    });

    addRoute(scope, routes, {
      method: "GET",
      url: PORT_ROOT_ROUTE,
      summary: "The bot's port without the final slash: a redirect to it with one",
      params: portParams,
      access: "link",
      response: { kind: "redirect", description: "to the same path with a final slash" },
      handler: async ({ params }, request, reply) => {
        const prefix = portPrefix(params.bot_id, params.port);
        const kept = withoutLinkParam(request.url);
        const query = kept.includes("?") ? kept.slice(kept.indexOf("?")) : "";
        answerLink(access.get(request), reply, prefix, request.protocol === "https");
        return reply.redirect(`${prefix}/${query}`, 302);
      },
    });

    for (const method of PROXIED_METHODS) {
      addRoute(scope, routes, {
        method,
        url: PROXY_ROUTE,
        summary: `The bot's server on its port (${method}; HEAD with GET), token or signed link`,
        params: portParams.extend({ "*": z.string() }),
        access: "link",
        response: { kind: "proxied", description: "the bot's server's own answer, any status and type" },
        alsoAnswers: { 302: "a signed link in the URL: the same path without it, the link set as a cookie" },
        handler: async ({ params }, request, reply) => {
          const prefix = portPrefix(params.bot_id, params.port);
          if (answerLink(access.get(request), reply, prefix, request.protocol === "https"))
            return reply.redirect(withoutLinkParam(request.url), 302);
          const response = await options.proxy.forward(params.bot_id, params.port, {
            method: request.method,
            path: appPathOf(request.url),
            prefix,
            headers: request.headers,
            body: request.raw,
            client: clientSide(request.raw, request.protocol),
            connection: request.raw.socket,
          });
          reply.hijack();
          const headers = downstreamResponseHeaders(response.headers, params.port, prefix, request.headers.host);
          relayResponse(response, reply.raw, headers);
          return reply;
        },
      });
    }
  });

  app.server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const match = UPGRADE_PATH.exec(request.url ?? "");
    if (!match) {
      // Another listener's path; with none, answer rather than leave the client waiting.
      if (app.server.listenerCount("upgrade") === 1)
        refuseUpgrade(socket, new NotFoundError(`no upgrade route ${request.url}`));
      return;
    }
    upgrade(options, request, socket, head, match[1]!, match[2]!).catch((error: unknown) =>
      refuseUpgrade(socket, error),
    );
  });
}

/** The link in the URL becomes a cookie; true when the answer is the redirect that drops it. */
function answerLink(grant: PortAccess | undefined, reply: FastifyReply, prefix: string, secure: boolean): boolean {
  if (grant?.kind !== "link-in-url") return false;
  void reply.header("set-cookie", linkCookie(grant.link, grant.grant, prefix, secure));
  // The address bar, history and the app's Referer then never hold the link.
  void reply.header("cache-control", "no-store");
  return true;
}

async function upgrade(
  options: PortRouteOptions,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  rawBotId: string,
  rawPort: string,
): Promise<void> {
  const { bot_id: botId, port } = parsePortParams(decodeURIComponent(rawBotId), rawPort);
  const header = request.headers.authorization;
  const principal = header === undefined ? undefined : await options.authenticate(header);
  const url = request.url ?? "/";
  checkPortAccess(options.links, { principal, headers: request.headers, linkInUrl: linkParamOf(url) }, botId, port);
  if ((await options.bots.getBot(botId)) === undefined) throw new NotFoundError(`bot ${botId} not found`);
  await options.proxy.upgrade(botId, port, {
    method: request.method ?? "GET",
    path: appPathOf(url),
    prefix: portPrefix(botId, port),
    headers: request.headers,
    socket,
    head,
    client: clientSide(request, protocolOf(socket)),
  });
}

function parsePortParams(botId: string | undefined, port: string | undefined): { bot_id: string; port: number } {
  return parse(portParams, { bot_id: botId, port }, "params");
}
