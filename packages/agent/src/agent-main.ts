import { pino } from "pino";

import { agentLogStreams } from "./call-log-file.js";
import { ConfigError, loadAgentConfig } from "./config.js";
import { reportReadyToInit } from "./init/init-mode.js";
import { listen } from "./server.js";
import { seedTemplates } from "./templates.js";
import { AGENT_VERSION } from "./version.js";

// One JSON line per event on stderr (stdout stays free), and in the
// rotated agent.log the host reads (call-log-file.ts).
const stderr = pino.destination({ fd: 2, sync: false });
const logStreams = agentLogStreams(stderr);
const logger = pino(
  { base: { service: "botbox-agent" } },
  pino.multistream(logStreams.streams.map((stream) => ({ stream }))),
);
if (logStreams.problem) logger.warn(`agent log file: ${logStreams.problem}`);
/** Before exiting: stderr is buffered (the file is written at once). */
const flushLog = () => {
  try {
    stderr.flushSync();
  } catch {
    // Not ready yet, or stderr is gone: nothing more to do.
  }
};

async function main(): Promise<void> {
  const config = loadAgentConfig();
  if (process.pid === 1) {
    // Node cannot wait() for orphans it did not spawn, so as PID 1 it would
    // collect zombies. Images run the agent under tini and botbox's init; the
    // sandbox runtime under bubblewrap's own init and botbox's. See docs/agent.md.
    logger.warn("running as PID 1: orphaned processes will not be reaped; run the agent under an init such as tini");
  }
  const seeded = await seedTemplates(config.dataDir, config.templateDir, logger);
  const agent = await listen(config, logger);
  logger.info(
    {
      address: agent.address,
      dataDir: config.dataDir,
      botId: config.botId,
      version: AGENT_VERSION,
      seeded,
      auth: config.token !== undefined,
    },
    "agent listening",
  );
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping");
    void agent.stop().then(() => {
      flushLog();
      process.exit(0);
    });
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  // Only now: the init passes a stop on as soon as it hears this, and a
  // SIGTERM before the handler above would kill the agent outright.
  reportReadyToInit();
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, error instanceof ConfigError ? error.message : "agent failed to start");
  flushLog();
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100).unref();
});
