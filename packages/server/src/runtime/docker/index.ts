// Public face of the Docker runtime. Anything exported here is public API;
// named exports only.
export { DEFAULT_AGENT_IMAGE } from "./defaults.js";
export { DockerRuntime } from "./docker-runtime.js";
export type { DockerRuntimeOptions } from "./options.js";
