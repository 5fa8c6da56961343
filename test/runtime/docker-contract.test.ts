import { after, describe, it } from "node:test";

import { DEFAULT_AGENT_IMAGE, DockerRuntime } from "../../packages/server/src/runtime/docker/index.js";
import { AGENT_IMAGE_TAR } from "../support/runtimes.js";
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
    imageTar: AGENT_IMAGE_TAR,
    newRuntime: async () => {
      const fixture = await openDocker();
      fixtures.push(fixture);
      return fixture.runtime;
    },
    reopen: (runtime) => new DockerRuntime({ home: fixtures.find((fixture) => fixture.runtime === runtime)!.home }),
  });
}
