// Public face of the Docker runtime. Anything exported here is public API;
// named exports only.
export { DEFAULT_AGENT_IMAGE } from "./defaults.js";
export { DockerRuntime, type DockerRuntimeOptions } from "./docker-runtime.js";
