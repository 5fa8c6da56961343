import type { AddressInfo } from "node:net";

import { composeServer } from "../composition/index.js";
import { loadConfig } from "../config/index.js";
import { BotboxError } from "../errors.js";
import { serverLogger } from "../logs/index.js";
import { codeCacheHook } from "./code-cache-hook.js";
import { connectionLimitsFor, raiseOpenFileLimit } from "./connection-limits.js";
import { describePortHolder } from "./port-holder.js";

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
  // Pretty on a terminal, JSON otherwise, unless [log] format says (logs/server-logger.ts).
  const logger = await serverLogger(config.log.format);
  const openFiles = raiseOpenFileLimit();
  if (openFiles.problem) logger.warn(`the open-file limit stays at ${openFiles.limit.soft}: ${openFiles.problem}`);
  const connections = connectionLimitsFor(config.server, openFiles.limit.soft);
  const server = await composeServer(config, logger, { connections });
  const url = await server.app
    .listen({ host: config.server.host, port: config.server.port })
    .catch(async (error: unknown) => {
      await server.abandon();
      throw await listenFailure(error, config.server);
    });
  logger.info(
    {
      home: config.server.home,
      openFiles: openFiles.limit,
      connections,
      runtime: server.runtime.name,
      database: server.store.dialect,
      adminTokenFile: server.adminTokenFile,
      codeCache: codeCacheHook()?.state ?? "off",
    },
    "botbox serving",
  );
  server.start(() => {
    // The line to wait for (docs/server.md, "Start-up"): the port is open and
    // start-up reconciliation is over, so /ready answers 200 from now on.
    const { port } = server.app.server.address() as AddressInfo;
    logger.info({ url, host: config.server.host, port }, "botbox ready");
    writeCodeCacheSoon();
  });
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping; bots keep running");
    await server.close();
    process.exit(0);
  };
  process.on("SIGTERM", (signal) => void stop(signal));
  process.on("SIGINT", (signal) => void stop(signal));
}
