// The runtime contract on the FakeRuntime (real agents as plain host
// processes): runs without root, daemons or network. Nothing is skipped by
// name: what the fake cannot enforce, the contract checks it refuses.
import { rm } from "node:fs/promises";
import { after } from "node:test";

import { FakeRuntime } from "../support/fake-runtime.js";
import { runRuntimeContract } from "./contract.js";
import { makeHome } from "./support.js";

const homes = new Map<unknown, string>();
after(async () => {
  for (const home of new Set(homes.values())) await rm(home, { recursive: true, force: true });
});

runRuntimeContract({
  name: "fake",
  newRuntime: async () => {
    const home = await makeHome();
    const runtime = new FakeRuntime({ home });
    homes.set(runtime, home);
    return runtime;
  },
  reopen: (runtime) => new FakeRuntime({ home: homes.get(runtime)! }),
});
