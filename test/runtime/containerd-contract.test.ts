import { DEFAULT_AGENT_IMAGE } from "../../packages/server/src/runtime/docker/defaults.js";
import { AGENT_IMAGE_TAR } from "../support/runtimes.js";
import { containerdUnavailable, openContainerd } from "./containerd-support.js";
import { runRuntimeContract } from "./contract.js";
import { runtimesOfFixtures } from "./contract-context.js";

runRuntimeContract({
  name: "containerd",
  unavailable: await containerdUnavailable(),
  image: DEFAULT_AGENT_IMAGE,
  imageTar: AGENT_IMAGE_TAR,
  ...runtimesOfFixtures(
    () => openContainerd(),
    (fixture) => fixture.open(),
  ),
});
