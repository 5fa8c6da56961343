import { after, describe, it } from "node:test";

import { DEFAULT_AGENT_IMAGE } from "../../packages/server/src/runtime/docker/index.js";
import { runRuntimeContract } from "./contract.js";
import { type DockerFixture, dockerUnavailable, openDocker } from "./docker-support.js";

const unavailable = await dockerUnavailable();
const fixtures: DockerFixture[] = [];
after(async () => {
  for (const fixture of fixtures) await fixture.close();
});

if (unavailable) {
  describe("runtime contract: docker", () => {
    it("runs against a Docker daemon", { skip: unavailable }, () => {});
  });
} else {
  runRuntimeContract({
    name: "docker",
    image: DEFAULT_AGENT_IMAGE,
    newRuntime: async () => {
      const fixture = await openDocker();
      fixtures.push(fixture);
      return fixture.runtime;
    },
  });
}
