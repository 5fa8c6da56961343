import { rm } from "node:fs/promises";
import { after } from "node:test";

import { SandboxRuntime } from "../../packages/server/src/runtime/sandbox/index.js";
import { AGENT_BUNDLE } from "../support/agent-process.js";
import { runRuntimeContract } from "./contract.js";
import { makeHome } from "./support.js";

const homes: string[] = [];
after(async () => {
  for (const home of homes) await rm(home, { recursive: true, force: true });
});

runRuntimeContract({
  name: "sandbox",
  newRuntime: async () => {
    const home = await makeHome();
    homes.push(home);
    return new SandboxRuntime({ home, agentBundle: AGENT_BUNDLE });
  },
});
