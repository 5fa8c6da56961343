// The bundle's entry: the agent; with --botbox-keeper, the keeper of one
// supervised process (processes/keeper.ts); with --botbox-init, the
// workspace's init, which runs the agent and restarts it (init/). Each loads
// only its own code: a keeper starts with every process, and gRPC and the
// logger would double its start time and memory; the init lives as long as
// the workspace.
import { isInitMode } from "./init/init-mode.js";
import { keeperDirFromArgv } from "./processes/keeper-mode.js";

function failed(role: string) {
  return (error: unknown) => {
    process.stderr.write(`${role} failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  };
}

const keeperDir = keeperDirFromArgv(process.argv);
if (keeperDir !== undefined) {
  import("./processes/keeper.js").then(({ runKeeper }) => runKeeper(keeperDir)).catch(failed("keeper"));
} else if (isInitMode(process.argv)) {
  import("./init/agent-init.js").then(({ runInit }) => runInit()).catch(failed("init"));
} else {
  void import("./agent-main.js");
}
