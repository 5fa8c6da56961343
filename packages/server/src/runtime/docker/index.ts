// Public face of the Docker runtime. Anything exported here is public API;
// named exports only.
export { DockerRuntime, type DockerRuntimeOptions } from "./docker-runtime.js";
export { DEFAULT_AGENT_IMAGE } from "./docker-runtime.js";
