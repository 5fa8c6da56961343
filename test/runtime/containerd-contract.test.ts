import { after, describe, it } from "node:test";

import { DEFAULT_AGENT_IMAGE } from "../../packages/server/src/runtime/docker/defaults.js";
import { AGENT_IMAGE_TAR } from "../support/runtimes.js";
import { type ContainerdFixture, containerdUnavailable, openContainerd } from "./containerd-support.js";
import { runRuntimeContract } from "./contract.js";

const unavailable = await containerdUnavailable();
const fixtures: ContainerdFixture[] = [];
after(async () => {
  for (const fixture of fixtures) await fixture.close();
});

if (unavailable) {
  describe("runtime contract: containerd", () => {
    it("runs against a containerd", { skip: unavailable }, () => {});
  });
} else {
  runRuntimeContract({
    name: "containerd",
    image: DEFAULT_AGENT_IMAGE,
    imageTar: AGENT_IMAGE_TAR,
    newRuntime: async () => {
      const fixture = await openContainerd();
      fixtures.push(fixture);
      return fixture.runtime;
    },
    reopen: (runtime) => fixtures.find((fixture) => fixture.runtime === runtime)!.open(),
  });
}
