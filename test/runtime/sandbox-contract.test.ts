import { rm } from "node:fs/promises";
import { after } from "node:test";

import { SandboxRuntime } from "../../packages/server/src/runtime/sandbox/index.js";
import { AGENT_BUNDLE } from "../support/agent-process.js";
import { runRuntimeContract } from "./contract.js";
import { makeHome } from "./support.js";

const homes = new Map<unknown, string>();
after(async () => {
  for (const home of new Set(homes.values())) await rm(home, { recursive: true, force: true });
});

runRuntimeContract({
  name: "sandbox",
  newRuntime: async () => {
    const home = await makeHome();
    const runtime = new SandboxRuntime({ home, agentBundle: AGENT_BUNDLE });
    homes.set(runtime, home);
    return runtime;
  },
  reopen: (runtime) => new SandboxRuntime({ home: homes.get(runtime)!, agentBundle: AGENT_BUNDLE }),
});
