import type { IncomingMessage, ServerResponse } from "node:http";

import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import type { Logger } from "pino";

import { BadRequestError } from "../errors.js";
import type { EventFeed } from "../events/index.js";
import type { AgentLogs } from "../logs/index.js";
import type { BotManager, SnapshotService } from "../manager/index.js";
import type { BotToolGateway, FederatedMcpServers, StdioSessionRegistry } from "../mcp/index.js";
import type { MediaService } from "../media/index.js";
import type { BuiltinMemoryRuntime } from "../memory/index.js";
import { installHttpMetrics, type ServerMetrics } from "../metrics/index.js";
import { packagePath } from "../package-paths.js";
import type { PortProxy } from "../ports/index.js";
import type { WorkspaceProcesses } from "../processes/index.js";
import type { McpServerStore } from "../store/index.js";
import { TerminalTickets } from "../terminal/index.js";
import type { WorkspaceFiles } from "../workspace/index.js";
import { bearerAuthenticator, installAuth, type TokenVerifier } from "./auth.js";
import { type ConnectionLimits, guardConnections } from "./connection-guard.js";
import { consoleFiles, serveConsole } from "./console/index.js";
import { errorResponse } from "./error-status.js";
import { requireKnownBot } from "./known-bot.js";
import { type AnyRoute, openApiDocument, requireDocumentedRoutes } from "./route.js";
import { type BotDirectory, botRoutes } from "./routes/bots.js";
import { containerRoutes, type EventLog } from "./routes/container.js";
import { dataRoutes } from "./routes/data.js";
import { DOWNLOAD_LINK_ROUTES, downloadLinkRoutes } from "./routes/download-links.js";
import { type EventHistory, eventRoutes } from "./routes/events.js";
import { fileRoutes } from "./routes/files.js";
import { logRoutes } from "./routes/logs.js";
import { mcpServerRoutes } from "./routes/mcp-servers.js";
import { mcpStdioRoutes } from "./routes/mcp-stdio.js";
import { mediaRoutes } from "./routes/media.js";
import { memoryRoutes } from "./routes/memory.js";
import { METRICS_ROUTE, metricsRoutes } from "./routes/metrics.js";
import { PortOrigins, serverWithPortOrigins } from "./routes/port-origin.js";
import { PORT_LINK_ROUTES, portRoutes } from "./routes/ports.js";
import { processRoutes } from "./routes/processes.js";
import { skillRoutes } from "./routes/skills.js";
import { snapshotRoutes } from "./routes/snapshots.js";
import { terminalRoutes } from "./routes/terminal.js";
import { type TokenDirectory, tokenRoutes } from "./routes/tokens.js";
import { toolsGatewayRoutes } from "./routes/tools-gateway.js";
import { watchRoutes } from "./routes/watch.js";
import { whoamiRoutes } from "./routes/whoami.js";
import { CHALLENGE_PATTERN, SERVER_PROOF_ROUTE, serverProof } from "./server-proof.js";
import { LinkSigner } from "./signed-links.js";

export interface HttpServerOptions {
  manager: BotManager;
  snapshots: SnapshotService;
  bots: BotDirectory;
  tokens: TokenDirectory;
  events: EventLog;
  /** Lifecycle events as they are recorded, and the store's record of them, for GET /events. */
  eventFeed: EventFeed;
  eventHistory: EventHistory;
  /** Bots' agent logs for GET /bots/:bot_id/logs (logs/); without it the route answers 503. */
  logs?: AgentLogs;
  /** GET /metrics and the request counters; `token` is `[metrics] token`. */
  metrics: { metrics: ServerMetrics; token?: string };
  /** The tool gateway (the LLM tools and federated servers' tools), stdio MCP sessions and the bots' configured MCP servers. */
  mcp: {
    gateway: BotToolGateway;
    sessions: StdioSessionRegistry;
    federated: FederatedMcpServers;
    servers: McpServerStore;
  };
  /** Workspace services (built by the composition root): the file manager's, and those over the bots' /data. */
  files: WorkspaceFiles;
  media: MediaService;
  memory: BuiltinMemoryRuntime;
  /** Bots' ports through their agents (docs/ports.md). */
  ports: PortProxy;
  /** `[ports] domain`: each port's own origin is `<port>-<bot label>.<domain>`; default `localhost`. */
  portDomain?: string;
  /** Bots' durable processes through their agents (docs/processes.md). */
  processes: WorkspaceProcesses;
  adminToken: string;
  verifyToken: TokenVerifier;
  logger: Logger;
  version: string;
  /** Answers /ready: false while start-up work (migrations, reconcile) runs. */
  isReady?: () => boolean;
  /** Bounds on the API's connections; none when absent (tests that build the app in process). */
  connections?: ConnectionLimits;
  /** The web console's built files (docs/console.md); default packages/web/dist. */
  consoleDir?: string;
  /** Answers a request before Fastify routes it, when it says so (the optional E2B front end, docs/e2b.md). */
  beforeRouting?: (request: IncomingMessage, response: ServerResponse) => boolean;
}

/**
 * One access line per request, when it ends, naming it (Fastify's default is
 * two: one on arrival, one at the end without method or URL). Half the log
 * writes on a busy server.
 */
class AccessLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      responseTimeMs: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (error) reply.log.error({ ...line, err: error }, "request errored");
    else reply.log.info(line, "request");
  }
}

/** The HTTP API: thin routes over the manager, behind bearer-token auth. */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const links = new LinkSigner(options.adminToken);
  const authenticate = bearerAuthenticator(options.adminToken, options.verifyToken);
  const origins = new PortOrigins({
    domain: options.portDomain ?? "localhost",
    proxy: options.ports,
    links,
    bots: options.bots,
    authenticate,
    logger: options.logger,
  });
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: 8 * 2 ** 20,
    logController: new AccessLog(),
    // Requests for a port's own origin are taken off before Fastify routes anything (routes/port-origin.ts).
    serverFactory: (handler, settings) => {
      const claim = options.beforeRouting;
      const routed = claim
        ? (request: IncomingMessage, response: ServerResponse) => claim(request, response) || handler(request, response)
        : handler;
      return serverWithPortOrigins(origins, routed, settings as Parameters<typeof serverWithPortOrigins>[2]);
    },
  }) as unknown as FastifyInstance;
  const routes: AnyRoute[] = [];
  requireDocumentedRoutes(app, routes);
  // Before auth: the console's files are public; what they show comes from the API with the user's token.
  serveConsole(app, consoleFiles(options.consoleDir ?? packagePath("web", "dist")));
  installHttpMetrics(app, options.metrics.metrics);
  installAuth(
    app,
    options.adminToken,
    options.verifyToken,
    new Set([...PORT_LINK_ROUTES, ...DOWNLOAD_LINK_ROUTES]),
    new Set([METRICS_ROUTE]),
  );
  if (options.connections) guardConnections(app, options.connections);
  requireKnownBot(app, options.bots);
  app.setErrorHandler((error, request, reply) => {
    const { status, headers, body } = errorResponse(error);
    if (status >= 500) request.log.error({ err: error }, "request failed");
    return reply.status(status).headers(headers).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: "not_found", message: `no route ${request.method} ${request.url}` } }),
  );
  app.get("/health", async () => ({ status: "ok" }));
  app.get("/ready", async (_request, reply) => {
    const ready = options.isReady?.() ?? true;
    return reply.status(ready ? 200 : 503).send({ status: ready ? "ready" : "starting" });
  });
  app.get(SERVER_PROOF_ROUTE, async (request) => {
    const challenge = (request.query as { challenge?: unknown }).challenge;
    if (typeof challenge !== "string" || !CHALLENGE_PATTERN.test(challenge))
      throw new BadRequestError("query.challenge: must be 32 to 128 lowercase hex digits");
    return { service: "botbox", proof: serverProof(options.adminToken, challenge) };
  });
  app.get("/openapi.json", async () => openApiDocument(routes, options.version));
  botRoutes(app, routes, options.bots, options.manager);
  containerRoutes(app, routes, options.manager, options.events);
  dataRoutes(app, routes, options.manager);
  tokenRoutes(app, routes, options.tokens);
  snapshotRoutes(app, routes, options.snapshots);
  mcpStdioRoutes(app, routes, options.manager, options.mcp.sessions);
  mcpServerRoutes(app, routes, options.mcp.servers, options.mcp.federated);
  toolsGatewayRoutes(app, routes, options.mcp.gateway, options.version);
  fileRoutes(app, routes, options.files);
  skillRoutes(app, routes, options.manager);
  mediaRoutes(app, routes, options.media);
  memoryRoutes(app, routes, options.memory);
  processRoutes(app, routes, options.processes);
  logRoutes(app, routes, options.logs);
  watchRoutes(app, routes, options.manager);
  terminalRoutes(app, routes, {
    processes: options.processes,
    tickets: new TerminalTickets(options.adminToken),
    bots: options.bots,
    authenticate,
  });
  downloadLinkRoutes(app, routes, { files: options.files, links, manager: options.manager });
  whoamiRoutes(app, routes);
  metricsRoutes(app, routes, {
    metrics: options.metrics.metrics,
    authenticate,
    ...(options.metrics.token === undefined ? {} : { metricsToken: options.metrics.token }),
  });
  eventRoutes(app, routes, { feed: options.eventFeed, history: options.eventHistory });
  portRoutes(app, routes, {
    proxy: options.ports,
    links,
    bots: options.bots,
    authenticate,
    originDomain: origins.domain,
  });
  return app;
}
