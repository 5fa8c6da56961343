// The bundle's entry: the agent, or, started with --botbox-keeper, the
// keeper of one supervised process (processes/keeper.ts). Each loads only
// its own code: a keeper starts with every process, and gRPC and the
// logger would double its start time and memory.
import { keeperDirFromArgv } from "./processes/keeper-mode.js";

const keeperDir = keeperDirFromArgv(process.argv);
if (keeperDir === undefined) {
  void import("./agent-main.js");
} else {
  import("./processes/keeper.js")
    .then(({ runKeeper }) => runKeeper(keeperDir))
    .catch((error: unknown) => {
      process.stderr.write(`keeper failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    });
}
