/**
 * The composition root: every service of `botbox serve` is built here, from
 * the configuration, and handed to whoever uses it. Routes receive services
 * and never build their own; services know nothing of HTTP. `cli/serve.ts`
 * keeps only what is the process's (limits, the port, signals, logging).
 */
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";

import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";

import { type BotboxConfig, ConfigError, imageRefFor } from "../config/index.js";
import { createE2bFrontEnd, type E2bFrontEnd } from "../e2b/index.js";
import { reachWorkspace } from "../errors.js";
import { EventFeed, publishRecordedEvents } from "../events/index.js";
import { bearerAuthenticator } from "../http/auth.js";
import { type ConnectionLimits, createHttpServer, type Principal } from "../http/index.js";
import { AgentLogs } from "../logs/index.js";
import { AgentSupervisor, BotManager, containerIdFor, SnapshotService } from "../manager/index.js";
import { sweepStaleTransfers } from "../manager/stale-transfer-sweep.js";
import { storeBotDirectory, storeRecords, storeTokenDirectory } from "../manager/store-records.js";
// Not from the mcp index, which would load the MCP SDK at every start (see http/routes/mcp-stdio.ts).
import { FederatedMcpServers } from "../mcp/federation.js";
import { StdioSessionRegistry } from "../mcp/session-registry.js";
import { BotToolGateway } from "../mcp/tool-gateway.js";
import { ContainerFsStorage, MediaService } from "../media/index.js";
import { BuiltinMemoryRuntime } from "../memory/index.js";
import { BotUsageSampler, ServerMetrics, timedSnapshots, timeE2bExec, timeExecTool } from "../metrics/index.js";
import { packagePath } from "../package-paths.js";
import { PortProxy } from "../ports/index.js";
import { WorkspaceProcesses } from "../processes/index.js";
import { backendNamed, createRuntime as createBackendRuntime } from "../runtime/backends.js";
import { DEFAULT_AGENT_IMAGE } from "../runtime/docker/defaults.js";
import type { ContainerRuntime, ResourceLimits } from "../runtime/runtime.js";
import { detectIsolation } from "../runtime/sandbox/network/index.js";
import { openStore, type Store } from "../store/index.js";
import { ContainerTools } from "../tools/index.js";
import { WorkspaceFiles } from "../workspace/index.js";
import { loadAdminToken } from "./admin-token.js";

const AGENT_BUNDLE = packagePath("agent", "dist", "agent.js");

export async function serverVersion(): Promise<string> {
  const manifest = await readFile(packagePath("server", "package.json"), "utf8");
  return (JSON.parse(manifest) as { version: string }).version;
}

/** The agent image images/build-agent-image.sh builds, loaded the first time a bot needs it. */
function agentImageTar(): string {
  return path.join(path.dirname(packagePath()), "images", "dist", "botbox-agent.tar");
}

/** The configured backend's runtime (runtime/backends.ts), as `serve` and `doctor` use it. */
export function createRuntime(config: BotboxConfig, logger: Logger): Promise<ContainerRuntime> {
  return createBackendRuntime(config, {
    logger,
    knownImages: { [DEFAULT_AGENT_IMAGE]: agentImageTar() },
    agentBundle: process.env.BOTBOX_AGENT_BUNDLE ?? AGENT_BUNDLE,
  });
}

/** `[runtime]`'s default limits as the manager takes them; 0 turns one off. */
export function defaultLimits(config: BotboxConfig): ResourceLimits {
  const { memory_bytes, pids, cpus, disk_bytes } = config.runtime;
  return {
    ...(memory_bytes > 0 ? { memoryBytes: memory_bytes } : {}),
    ...(disk_bytes > 0 ? { diskBytes: disk_bytes } : {}),
    ...(pids > 0 ? { pids } : {}),
    ...(cpus > 0 ? { cpus } : {}),
  };
}

export function openConfiguredStore(config: BotboxConfig): Promise<Store> {
  return openStore(
    config.database.url
      ? { databaseUrl: config.database.url }
      : { sqlitePath: path.join(config.server.home, "botbox.db") },
  );
}

/** Refuses a default the runtime cannot give, and warns about the unsafe ones. */
function checkRuntimeDefaults(config: BotboxConfig, runtime: ContainerRuntime, logger: Logger): void {
  if (config.runtime.network === "isolated" && runtime.name === "sandbox") {
    const isolation = detectIsolation();
    if (!isolation.ok) logger.warn(`bots without a network of their own will not start: ${isolation.reason}`);
  }
  if (config.runtime.network === "isolated" && !runtime.capabilities?.isolatedNetwork)
    throw new ConfigError(
      `[runtime] network = "isolated" (the default), but the ${runtime.name} runtime does not enforce it yet: set [runtime] network = "none", or "host" if every bot is trusted`,
    );
  if (config.runtime.isolation === "gvisor" && !runtime.capabilities?.gvisor)
    throw new ConfigError(
      `[runtime] isolation = "gvisor", but the ${runtime.name} runtime cannot run gVisor here (botbox doctor says why)`,
    );
  if (config.runtime.network === "host")
    logger.warn(
      '[runtime] network = "host": bots share the host\'s network and reach its services, the botbox API and each other; use "isolated" unless every bot is trusted',
    );
}

/**
 * What a stop or crash left of uploads and imports in the running bots'
 * /data, swept once they are re-attached (stale-transfer-sweep.ts says what
 * counts as stale). One bot at a time: it is background work.
 */
async function sweepRunningBots(manager: BotManager, botIds: string[], logger: Logger): Promise<void> {
  for (const botId of botIds) {
    const agent = await manager.agentFor(botId).catch(() => undefined);
    if (agent) await sweepStaleTransfers(agent, botId, logger);
  }
}

/** The assembled server: its HTTP app, and the start and stop of everything behind it. */
export interface ComposedServer {
  readonly app: FastifyInstance;
  readonly runtime: ContainerRuntime;
  readonly store: Store;
  /** Where the admin token is kept, for the start-up log. */
  readonly adminTokenFile: string | undefined;
  /**
   * Once the app listens: re-attaches to the bots found running (reconcile),
   * then answers /ready and starts the supervisor; `onReady` runs then.
   */
  start(onReady?: () => void): void;
  /** Stops the supervisor, the app, the MCP sessions, the manager and the store; bots keep running. */
  close(): Promise<void>;
  /** For a server that could not listen: releases the manager and store only. */
  abandon(): Promise<void>;
}

export async function composeServer(
  config: BotboxConfig,
  logger: Logger,
  options: { connections?: ConnectionLimits } = {},
): Promise<ComposedServer> {
  await mkdir(config.server.home, { recursive: true, mode: 0o700 });
  const store = await openConfiguredStore(config);
  const runtime = await createRuntime(config, logger);
  checkRuntimeDefaults(config, runtime, logger);
  // Every recorded lifecycle event goes to GET /events and the metrics as it is stored.
  const eventFeed = new EventFeed();
  publishRecordedEvents(store, eventFeed);
  const metrics = new ServerMetrics(
    new BotUsageSampler({ listBotIds: async () => (await store.listBots()).map((bot) => bot.id), runtime }),
  );
  eventFeed.listen((event) => metrics.countEvent(event));
  const image = config.mcp.image
    ? imageRefFor(config.mcp.image, config.mcp.registry)
    : backendNamed(runtime.name).defaultImage;
  const manager = new BotManager({
    runtime,
    records: storeRecords(store),
    image,
    network: config.runtime.network,
    isolation: config.runtime.isolation,
    limits: defaultLimits(config),
    startTimeoutMs: config.runtime.start_timeout_seconds * 1000,
    legacyDataRoot: config.mcp.data_root,
    // The agent keeps its log rotated in its run folder (logs/agent-log.ts reads it).
    agentEnv: {
      BOTBOX_AGENT_LOG_FILES: String(config.log.agent_files),
      BOTBOX_AGENT_LOG_FILE_BYTES: String(config.log.agent_file_kib * 1024),
    },
    onStopping: async (botId) => {
      await Promise.all([sessions.closeAllForBot(botId), federated.closeAllForBot(botId)]);
    },
    logger,
  });
  const sessionOptions = {
    agents: manager,
    logger,
    idleMs: config.mcp_stdio.idle_timeout_seconds * 1000,
    session: { requestTimeoutMs: config.mcp_stdio.request_timeout_seconds * 1000 },
  };
  const sessions = new StdioSessionRegistry(sessionOptions);
  const federated = new FederatedMcpServers({
    ...sessionOptions,
    configs: async (botId) =>
      (await store.listMcpServers(botId))
        .filter((server) => server.enabled)
        .map(({ name, command, args, env, cwd }) => ({ name, command, args, env, cwd })),
  });
  // The exec tool's runs feed botbox_exec_duration_seconds{kind="tool"} (metrics/exec-timing.ts).
  const tools = timeExecTool(
    new ContainerTools({
      clients: (botId) => manager.agentFor(botId),
      execTimeout: {
        defaultSeconds: config.tools.exec_timeout_seconds,
        maxSeconds: config.tools.exec_max_timeout_seconds,
      },
      backgroundOnTimeout: config.tools.background_on_timeout,
      logger,
    }),
    metrics,
  );
  const supervisor = new AgentSupervisor({
    runtime,
    records: storeRecords(store),
    restart: (botId, retrying) => manager.restartIfWanted(botId, retrying),
    containerIdFor,
    logger,
  });
  const admin = await loadAdminToken(config.server.home, config.server.admin_token);
  let ready = false;
  const files = new WorkspaceFiles({
    agentFor: (botId) => manager.agentFor(botId),
    // Waits for a stop in progress (it holds the bot's lock), so the answer is what the stop left.
    workspaceRunning: async (botId) => (await manager.state(botId)).taskRunning,
    maxUploadBytes: config.files.max_upload_bytes,
    maxReadBytes: config.files.max_read_bytes,
  });
  const processes = new WorkspaceProcesses({ agentFor: (botId) => manager.agentFor(botId) });
  const verifyToken = async (token: string): Promise<Principal | undefined> => {
    const verified = await store.verifyToken(token);
    if (!verified) return undefined;
    if (verified.scope === "admin") return { kind: "admin" };
    return { kind: "bot", botId: verified.botId ?? "", tokenId: verified.id };
  };
  // Off by default: an API with other credentials and shapes is opened only when asked for (docs/e2b.md).
  const e2b: E2bFrontEnd | undefined = config.e2b.enabled
    ? createE2bFrontEnd({
        bots: storeBotDirectory(store),
        store,
        // Each template's image as `[mcp] image` is read: the registry mirror applies to both.
        templates: new Map(
          Object.entries(config.e2b.templates).map(([name, ref]) => [name, imageRefFor(ref, config.mcp.registry)]),
        ),
        manager,
        processes,
        files,
        authenticate: bearerAuthenticator(admin.token, verifyToken),
        secret: admin.token,
        logger,
      })
    : undefined;
  const app = createHttpServer({
    manager,
    snapshots: new SnapshotService(manager, timedSnapshots(runtime, metrics), store, logger),
    bots: storeBotDirectory(store),
    tokens: storeTokenDirectory(store),
    events: (containerId, limit) => store.listEvents(containerId, { limit }),
    eventFeed,
    eventHistory: store,
    metrics: { metrics, ...(config.metrics.token === undefined ? {} : { token: config.metrics.token }) },
    mcp: { gateway: new BotToolGateway({ tools, federated }), sessions, federated, servers: store },
    files,
    media: new MediaService(new ContainerFsStorage((botId) => manager.agentFor(botId)), {
      maxBytes: config.media.max_bytes,
    }),
    ports: new PortProxy({
      agentFor: (botId) => manager.agentFor(botId),
      maxTunnelsPerBot: config.ports.max_tunnels_per_bot,
    }),
    portDomain: config.ports.domain,
    processes,
    logs: new AgentLogs({ runtime, containerIdFor }),
    memory: new BuiltinMemoryRuntime({ clients: (botId) => reachWorkspace(botId, (id) => manager.agentFor(id)) }),
    adminToken: admin.token,
    verifyToken,
    logger,
    version: await serverVersion(),
    isReady: () => ready,
    ...(options.connections ? { connections: options.connections } : {}),
    ...(e2b
      ? {
          beforeRouting: (request, response) => {
            const claimed = e2b.claim(request, response);
            if (claimed) timeE2bExec(request, response, metrics);
            return claimed;
          },
        }
      : {}),
  });
  return {
    app,
    runtime,
    store,
    adminTokenFile: admin.file,
    start(onReady) {
      void manager
        .reconcile()
        // Not awaited: readiness does not wait for the sweep.
        .then(({ reattached, restarted }) => void sweepRunningBots(manager, [...reattached, ...restarted], logger))
        .catch((error: unknown) => logger.error({ err: error }, "reconcile failed"))
        .finally(() => {
          ready = true;
          supervisor.start();
          onReady?.();
        });
    },
    async close() {
      supervisor.stop();
      e2b?.close();
      await app.close();
      await Promise.all([sessions.shutdown(), federated.shutdown()]);
      await manager.close();
      await store.close();
    },
    async abandon() {
      await Promise.all([manager.close(), store.close()]).catch(() => undefined);
    },
  };
}
