import { chmod } from "node:fs/promises";
import type { Http2Server, ServerHttp2Session } from "node:http2";
import net from "node:net";

import {
  ContainerServiceDefinition,
  type ContainerServiceServer,
  FileWatchServiceService,
  ProcessServiceService,
} from "@botbox/proto";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import type { Logger } from "pino";

import { type AgentConfig, type ListenTarget, parseListenAddress } from "./config.js";
import { rfc3339 } from "./file-entry.js";
import { exec } from "./handlers/exec.js";
import { listDir } from "./handlers/list-dir.js";
import { deleteFile, mkdir, rename, stat } from "./handlers/path-ops.js";
import { readRaw, writeRaw } from "./handlers/raw.js";
import { readRawNoFollow, writeRawNoFollow } from "./handlers/raw-no-follow.js";
import { readFile } from "./handlers/read-file.js";
import { tunnel } from "./handlers/tunnel.js";
import { writeFile } from "./handlers/write-file.js";
import { type ListenerFromInit, listenerFromInit } from "./init/init-mode.js";
import { createProcessService } from "./processes/process-service.js";
import { bidiStream, type CallPolicy, clientStream, serverStream, unary } from "./rpc-call.js";
import { errorCode } from "./rpc-error.js";
import { removeStaleSocket } from "./stale-socket.js";
import { AGENT_VERSION } from "./version.js";
import { createFileWatchService, loadWatchSettings } from "./watch/index.js";

const SHUTDOWN_GRACE_MS = 5_000;

export interface RunningAgent {
  /** Where it listens: `unix:/path` or `host:port` with the real port. */
  readonly address: string;
  /** Stops taking calls, lets running ones finish for a short grace, then cancels them. */
  stop(): Promise<void>;
}

export function createContainerService(config: AgentConfig, logger: Logger): ContainerServiceServer {
  const policy: CallPolicy = { logger, token: config.token };
  const { dataDir } = config;
  const startedAt = rfc3339(new Date());
  const baseEnv = commandEnv();
  const byPath = <T extends { path: string }>(request: T) => request.path;
  return {
    readFile: unary(policy, "ReadFile", byPath, (request) => readFile(dataDir, request)),
    writeFile: unary(policy, "WriteFile", byPath, (request) => writeFile(dataDir, request)),
    listDir: unary(policy, "ListDir", byPath, (request) => listDir(dataDir, request)),
    stat: unary(policy, "Stat", byPath, (request) => stat(dataDir, request)),
    mkdir: unary(policy, "Mkdir", byPath, (request) => mkdir(dataDir, request)),
    rename: unary(
      policy,
      "Rename",
      (request) => `${request.oldPath} -> ${request.newPath}`,
      (request) => rename(dataDir, request),
    ),
    deleteFile: unary(policy, "DeleteFile", byPath, (request) => deleteFile(dataDir, request)),
    info: unary(
      policy,
      "Info",
      () => undefined,
      async () => ({
        botId: config.botId,
        agentVersion: AGENT_VERSION,
        dataDir,
        startedAt,
      }),
    ),
    readRaw: serverStream(policy, "ReadRaw", (call, log) => readRaw(dataDir, call, log)),
    writeRaw: clientStream(policy, "WriteRaw", (call, log) => writeRaw(dataDir, call, log)),
    readRawNoFollow: serverStream(policy, "ReadRawNoFollow", (call, log) => readRawNoFollow(dataDir, call, log)),
    writeRawNoFollow: clientStream(policy, "WriteRawNoFollow", (call, log) => writeRawNoFollow(dataDir, call, log)),
    exec: bidiStream(policy, "Exec", (call, log) => exec({ dataDir, baseEnv }, call, log)),
    tunnel: bidiStream(policy, "Tunnel", (call, log) => tunnel(call, log)),
  };
}

/** The environment commands inherit: the agent's, without the channel's secret. */
function commandEnv(): NodeJS.ProcessEnv {
  const { BOTBOX_AGENT_TOKEN: _secret, ...baseEnv } = process.env;
  baseEnv.PATH ??= "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  return baseEnv;
}

export async function listen(config: AgentConfig, logger: Logger): Promise<RunningAgent> {
  const server = new Server();
  server.addService(ContainerServiceDefinition, createContainerService(config, logger));
  // A second service on the same socket and token: docs/processes.md.
  const stopping = new AbortController();
  server.addService(
    ProcessServiceService,
    createProcessService({
      policy: { logger, token: config.token },
      dataDir: config.dataDir,
      settings: config.processes,
      baseEnv: commandEnv(),
      stopping: stopping.signal,
    }),
  );
  // And a third: the file watch (docs/watch.md).
  server.addService(
    FileWatchServiceService,
    createFileWatchService({
      policy: { logger, token: config.token },
      dataDir: config.dataDir,
      settings: loadWatchSettings(config.dataDir),
      stopping: stopping.signal,
    }),
  );
  const fromInit = await listenerFromInit();
  const target = parseListenAddress(config.listenAddress);
  let handed: net.Server | undefined;
  let address: string;
  if (fromInit) ({ listener: handed, address } = await serveHandedListener(server, fromInit, logger));
  else address = target.kind === "unix" ? await bindUnix(server, target.path) : await bindTcp(server, target);
  widenReceiveWindows(server);
  return {
    address,
    stop: () =>
      new Promise<void>((resolve) => {
        // Followers of a process would hold the grace period to its end.
        stopping.abort();
        // Closing our copy leaves the init's: the socket listens on for the next agent.
        handed?.close();
        const force = setTimeout(() => server.forceShutdown(), SHUTDOWN_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}

const RECEIVE_WINDOW_BYTES = 4 * 2 ** 20;

/**
 * grpc-js leaves the server's HTTP/2 receive windows at 64 KiB, so an upload
 * waits for a window update after every 64 KiB message. grpc-js has no server
 * option for it (its channel has one), so widen each session's windows here.
 */
function widenReceiveWindows(server: Server): void {
  const http2Servers = (server as unknown as { http2Servers?: Map<Http2Server, unknown> }).http2Servers;
  for (const http2Server of http2Servers?.keys() ?? []) {
    http2Server.on("session", (session: ServerHttp2Session) => {
      session.setLocalWindowSize(RECEIVE_WINDOW_BYTES);
      session.settings({ initialWindowSize: RECEIVE_WINDOW_BYTES });
    });
  }
}

function bind(server: Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port),
    );
  });
}

/**
 * Serves the socket the workspace's init holds (init/held-listener.ts):
 * listen() on our copy, and each accepted connection goes to grpc-js through
 * a connection injector, since bindAsync only binds addresses. Our copy was
 * not bound by this process, so closing it unlinks no path.
 */
async function serveHandedListener(
  server: Server,
  fromInit: ListenerFromInit,
  logger: Logger,
): Promise<{ listener: net.Server; address: string }> {
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  const listener = net.createServer((socket) => injector.injectConnection(socket));
  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(fromInit.handle, () => {
      listener.off("error", reject);
      // A failed accept (EMFILE, …) costs that one connection, not the agent.
      listener.on("error", (error) => logger.warn({ err: error }, "accepting a connection failed"));
      resolve();
    });
  });
  return { listener, address: fromInit.address };
}

async function bindUnix(server: Server, socketPath: string): Promise<string> {
  removeStaleSocket(socketPath);
  // The socket is the channel to the whole workspace: create it 0600 from the
  // first instant rather than chmod it after someone could have connected.
  const previousUmask = process.umask(0o177);
  try {
    await bind(server, `unix:${socketPath}`);
  } finally {
    process.umask(previousUmask);
  }
  // A host that takes the socket over (the sandbox's makes it root's so the
  // bot cannot replace it) may do so at once; the umask above made it 0600.
  await chmod(socketPath, 0o600).catch((error: unknown) => {
    if (errorCode(error) !== "EPERM") throw error;
  });
  return `unix:${socketPath}`;
}

async function bindTcp(server: Server, target: Extract<ListenTarget, { kind: "tcp" }>): Promise<string> {
  if (target.host !== "") {
    const host = target.host.includes(":") ? `[${target.host}]` : target.host;
    const port = await bind(server, `${host}:${target.port}`);
    return `${host}:${port}`;
  }
  // ":port" means every interface, as Go's listener does; fall back to IPv4
  // where the kernel has no IPv6.
  try {
    return `[::]:${await bind(server, `[::]:${target.port}`)}`;
  } catch {
    return `0.0.0.0:${await bind(server, `0.0.0.0:${target.port}`)}`;
  }
}
