// A bot's port on its own browser origin, `<port>-<label>.<domain>`
// (docs/ports.md). These requests are taken off the server before Fastify
// routes anything: on a port origin every path, `/bots/...` included, is the
// app's, and no API route can be reached from there by construction.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";

import type { Logger } from "pino";

import { BadRequestError, NotFoundError, UnavailableError } from "../../errors.js";
import {
  downstreamResponseHeaders,
  parsePortOriginHost,
  portOriginLabel,
  type PortOriginTarget,
  type PortProxy,
} from "../../ports/index.js";
import type { Principal } from "../auth.js";
import { firstRequestArrived, isAdminOnlyConnection } from "../connection-guard.js";
import { errorResponse } from "../error-status.js";
import type { LinkSigner } from "../signed-links.js";
import type { BotDirectory } from "./bots.js";
import {
  checkPortOriginAccess,
  linkCookie,
  linkParamOf,
  type PortOriginAccess,
  withoutLinkParam,
} from "./port-access.js";
import { clientSide, protocolOf, refuseUpgrade, relayResponse } from "./port-relay.js";

export interface PortOriginOptions {
  /** `[ports] domain`: port origins are `<port>-<label>.<domain>`. */
  domain: string;
  proxy: PortProxy;
  links: LinkSigner;
  bots: Pick<BotDirectory, "getBot" | "listBots">;
  /** Checks a bearer header (these requests never pass Fastify's auth hook). */
  authenticate: (header: string | undefined) => Promise<Principal>;
  logger: Logger;
}

export class PortOrigins {
  readonly #options: PortOriginOptions;

  constructor(options: PortOriginOptions) {
    this.#options = options;
  }

  get domain(): string {
    return this.#options.domain;
  }

  /** The port origin `request` is for, or undefined for botbox's own API. */
  claim(request: IncomingMessage): PortOriginTarget | undefined {
    return parsePortOriginHost(request.headers.host, this.#options.domain);
  }

  /** One HTTP request on a port origin: to the app, or refused before anything reaches it. */
  async serve(request: IncomingMessage, response: ServerResponse, target: PortOriginTarget): Promise<void> {
    const started = performance.now();
    response.once("finish", () =>
      this.#options.logger.info(
        {
          method: request.method,
          host: request.headers.host,
          // The link never lands in the log.
          url: withoutLinkParam(request.url ?? ""),
          statusCode: response.statusCode,
          responseTimeMs: Math.round((performance.now() - started) * 10) / 10,
        },
        "request",
      ),
    );
    try {
      const { botId, access } = await this.#admit(request, target);
      const url = request.url!;
      if (access.access.kind === "link-in-url") {
        // The link becomes a host-only cookie of this origin and leaves the address bar, history and Referer.
        const secure = protocolOf(request.socket) === "https";
        response.writeHead(302, {
          location: withoutLinkParam(url),
          "set-cookie": linkCookie(access.access.link, access.access.grant, "", secure),
          "cache-control": "no-store",
          "content-length": 0,
        });
        response.end();
        return;
      }
      const upstream = await this.#options.proxy.forward(botId, target.port, {
        method: request.method ?? "GET",
        path: withoutLinkParam(url),
        prefix: "",
        headers: request.headers,
        body: request,
        client: clientSide(request, protocolOf(request.socket)),
        connection: request.socket,
      });
      relayResponse(
        upstream,
        response,
        downstreamResponseHeaders(upstream.headers, target.port, "", request.headers.host),
      );
    } catch (error) {
      answerError(request, response, error, this.#options.logger);
    }
  }

  /** An upgrade (a WebSocket) on a port origin: joined to the app, or refused on the socket. */
  async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, target: PortOriginTarget): Promise<void> {
    try {
      const { botId } = await this.#admit(request, target);
      await this.#options.proxy.upgrade(botId, target.port, {
        method: request.method ?? "GET",
        path: withoutLinkParam(request.url!),
        prefix: "",
        headers: request.headers,
        socket,
        head,
        client: clientSide(request, protocolOf(socket)),
      });
    } catch (error) {
      refuseUpgrade(socket, error);
    }
  }

  /** The bot this request may reach, or the error that refuses it. */
  async #admit(
    request: IncomingMessage,
    target: PortOriginTarget,
  ): Promise<{ botId: string; access: PortOriginAccess }> {
    const url = request.url ?? "";
    // An absolute-form target (`GET http://…`) would name a host beside the one checked.
    if (!url.startsWith("/")) throw new BadRequestError(`the request target must be a path, not ${url.slice(0, 64)}`);
    const header = request.headers.authorization;
    const principal = header === undefined ? undefined : await this.#options.authenticate(header);
    if (isAdminOnlyConnection(request.socket) && principal?.kind !== "admin")
      throw new UnavailableError(
        "the server is at its connection limit (server.max_connections or server.max_connections_per_peer); only the admin token is served now",
      );
    const access = await checkPortOriginAccess(
      this.#options.links,
      { principal, headers: request.headers, linkInUrl: linkParamOf(url) },
      target,
      (label) => this.#botForLabel(label),
    );
    if ((await this.#options.bots.getBot(access.botId)) === undefined)
      throw new NotFoundError(`bot ${access.botId} not found`);
    return { botId: access.botId, access };
  }

  /** The bot whose label this is: the id itself for a plain label, else the known bot that encodes to it. */
  async #botForLabel(label: string): Promise<string | undefined> {
    if (!label.includes("--")) return label;
    const bots = await this.#options.bots.listBots();
    return bots.find((bot) => portOriginLabel(bot.id) === label)?.id;
  }
}

/**
 * The API's HTTP server: requests and upgrades for a port origin go to
 * `origins` and nothing else, the rest to Fastify's `handler`. Upgrades are
 * taken in `emit`, before any "upgrade" listener (the path form's, a
 * terminal's) could see a port origin's request as one of the API's.
 */
export function serverWithPortOrigins(
  origins: PortOrigins,
  handler: (request: IncomingMessage, response: ServerResponse) => void,
  timeouts: { keepAliveTimeout: number; requestTimeout: number; connectionTimeout: number },
): Server {
  const server = createServer((request, response) => {
    const target = origins.claim(request);
    if (target) void origins.serve(request, response, target);
    else handler(request, response);
  });
  // What Fastify sets on a server it makes itself.
  server.keepAliveTimeout = timeouts.keepAliveTimeout;
  server.requestTimeout = timeouts.requestTimeout;
  server.setTimeout(timeouts.connectionTimeout);
  const emit = server.emit.bind(server) as (event: string | symbol, ...args: unknown[]) => boolean;
  server.emit = ((event: string | symbol, ...args: unknown[]) => {
    if (event !== "upgrade") return emit(event, ...args);
    const [request, socket, head] = args as [IncomingMessage, Duplex, Buffer];
    // An upgrade emits no "request": its connection's first-request timeout ends here.
    firstRequestArrived(request.socket);
    const target = origins.claim(request);
    if (!target) return emit(event, ...args);
    void origins.upgrade(request, socket, head, target);
    return true;
  }) as Server["emit"];
  return server;
}

/** An error in the API's JSON shape; a body not read to its end closes the connection after it. */
function answerError(request: IncomingMessage, response: ServerResponse, error: unknown, logger: Logger): void {
  const { status, headers, body } = errorResponse(error);
  if (status >= 500) logger.error({ err: error }, "port origin request failed");
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...(request.complete ? {} : { connection: "close" }),
  });
  response.end(text);
}
