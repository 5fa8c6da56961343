import { DEFAULT_AGENT_IMAGE, DockerRuntime } from "../../packages/server/src/runtime/docker/index.js";
import { AGENT_IMAGE_TAR } from "../support/runtimes.js";
import { runRuntimeContract } from "./contract.js";
import { runtimesOfFixtures } from "./contract-context.js";
import { dockerUnavailable, openDocker } from "./docker-support.js";

runRuntimeContract({
  name: "docker",
  unavailable: await dockerUnavailable(),
  image: DEFAULT_AGENT_IMAGE,
  imageTar: AGENT_IMAGE_TAR,
  ...runtimesOfFixtures(openDocker, (fixture) => new DockerRuntime({ home: fixture.home })),
});
