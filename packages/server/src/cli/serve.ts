import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";

import { type Logger, pino } from "pino";

import { type BotboxConfig, ConfigError, imageRefFor, loadConfig } from "../config/index.js";
import { BotboxError } from "../errors.js";
import { createHttpServer, type Principal } from "../http/index.js";
import { AgentSupervisor, BotManager, containerIdFor, SnapshotService } from "../manager/index.js";
import { sweepStaleTransfers } from "../manager/stale-transfer-sweep.js";
import { storeBotDirectory, storeRecords, storeTokenDirectory } from "../manager/store-records.js";
// Not from the mcp index, which would load the MCP SDK at every start (see http/routes/mcp-stdio.ts).
import { FederatedMcpServers } from "../mcp/federation.js";
import { StdioSessionRegistry } from "../mcp/session-registry.js";
import { packagePath } from "../package-paths.js";
import { backendNamed, createRuntime as createBackendRuntime } from "../runtime/backends.js";
import { DEFAULT_AGENT_IMAGE } from "../runtime/docker/defaults.js";
import type { ContainerRuntime, ResourceLimits } from "../runtime/runtime.js";
import { detectIsolation } from "../runtime/sandbox/network/index.js";
import { openStore, type Store } from "../store/index.js";
import { ContainerTools } from "../tools/index.js";
import { loadAdminToken } from "./admin-token.js";
import { codeCacheHook } from "./code-cache-hook.js";
import { connectionLimitsFor, raiseOpenFileLimit } from "./connection-limits.js";
import { describePortHolder } from "./port-holder.js";

const AGENT_BUNDLE = packagePath("agent", "dist", "agent.js");
const CODE_CACHE_DELAY_MS = 5_000;

/**
 * When the server ran without a usable code cache (see code-cache-start.ts):
 * writes one a few seconds after it is ready, so that it also holds the code
 * the first requests compiled.
 */
function writeCodeCacheSoon(): void {
  const hook = codeCacheHook();
  if (hook?.wanted) setTimeout(() => hook.write(), CODE_CACHE_DELAY_MS).unref();
}

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

/** The error of a server that cannot bind its port: which port, and who holds it when /proc says. */
async function listenFailure(error: unknown, server: { host: string; port: number }): Promise<unknown> {
  if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") return error;
  const holder = await describePortHolder(server.port);
  // Clients check the server's proof before they send the admin token (docs/server.md), so the holder gets none.
  return new ServeError(
    `cannot listen on ${server.host}:${server.port}: another process holds the port (${holder ?? "not visible in /proc"}); botbox is not serving. Stop that process or set server.port`,
  );
}

/** `botbox serve` could not start; main prints the message and exits non-zero. */
export class ServeError extends BotboxError {
  constructor(message: string) {
    super("unavailable", message);
  }
}

/**
 * `botbox serve`: the host server. Bots run detached from it, so stopping the
 * server leaves them running; the next start re-attaches to them.
 */
export async function serve(options: { configFile?: string }): Promise<void> {
  const config = await loadConfig({ file: options.configFile });
  const logger = pino({ base: { service: "botbox" } });
  const openFiles = raiseOpenFileLimit();
  if (openFiles.problem) logger.warn(`the open-file limit stays at ${openFiles.limit.soft}: ${openFiles.problem}`);
  const connections = connectionLimitsFor(config.server, openFiles.limit.soft);
  await mkdir(config.server.home, { recursive: true, mode: 0o700 });
  const store = await openConfiguredStore(config);
  const runtime = await createRuntime(config, logger);
  const image = config.mcp.image
    ? imageRefFor(config.mcp.image, config.mcp.registry)
    : backendNamed(runtime.name).defaultImage;
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
  const manager = new BotManager({
    runtime,
    records: storeRecords(store),
    image,
    network: config.runtime.network,
    isolation: config.runtime.isolation,
    limits: defaultLimits(config),
    startTimeoutMs: config.runtime.start_timeout_seconds * 1000,
    legacyDataRoot: config.mcp.data_root,
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
  const tools = new ContainerTools({
    clients: (botId) => manager.agentFor(botId),
    execTimeout: {
      defaultSeconds: config.tools.exec_timeout_seconds,
      maxSeconds: config.tools.exec_max_timeout_seconds,
    },
    backgroundOnTimeout: config.tools.background_on_timeout,
    logger,
  });
  const supervisor = new AgentSupervisor({
    runtime,
    records: storeRecords(store),
    restart: (botId, retrying) => manager.restartIfWanted(botId, retrying),
    containerIdFor,
    logger,
  });
  const admin = await loadAdminToken(config.server.home, config.server.admin_token);
  let ready = false;
  const app = createHttpServer({
    manager,
    snapshots: new SnapshotService(manager, runtime, store, logger),
    bots: storeBotDirectory(store),
    tokens: storeTokenDirectory(store),
    events: (containerId, limit) => store.listEvents(containerId, { limit }),
    mcp: { tools, sessions, federated, servers: store },
    files: { maxUploadBytes: config.files.max_upload_bytes, maxReadBytes: config.files.max_read_bytes },
    media: { maxBytes: config.media.max_bytes },
    adminToken: admin.token,
    verifyToken: async (token): Promise<Principal | undefined> => {
      const verified = await store.verifyToken(token);
      if (!verified) return undefined;
      if (verified.scope === "admin") return { kind: "admin" };
      return { kind: "bot", botId: verified.botId ?? "", tokenId: verified.id };
    },
    logger,
    version: await serverVersion(),
    isReady: () => ready,
    connections,
  });
  try {
    await app.listen({ host: config.server.host, port: config.server.port });
  } catch (error) {
    await Promise.all([manager.close(), store.close()]).catch(() => undefined);
    throw await listenFailure(error, config.server);
  }
  logger.info(
    {
      home: config.server.home,
      openFiles: openFiles.limit,
      connections,
      runtime: runtime.name,
      database: store.dialect,
      adminTokenFile: admin.file,
      codeCache: codeCacheHook()?.state ?? "off",
    },
    "botbox serving",
  );
  void manager
    .reconcile()
    // Not awaited: readiness does not wait for the sweep.
    .then(({ reattached, restarted }) => void sweepRunningBots(manager, [...reattached, ...restarted], logger))
    .catch((error: unknown) => logger.error({ err: error }, "reconcile failed"))
    .finally(() => {
      ready = true;
      supervisor.start();
      writeCodeCacheSoon();
    });
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping; bots keep running");
    supervisor.stop();
    await app.close();
    await Promise.all([sessions.shutdown(), federated.shutdown()]);
    await manager.close();
    await store.close();
    process.exit(0);
  };
  process.on("SIGTERM", (signal) => void stop(signal));
  process.on("SIGINT", (signal) => void stop(signal));
}
