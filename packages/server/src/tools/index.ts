// Public face of the container tools. Anything exported here is public API;
// named exports only.
export { applyEdit, EditError } from "./apply-edit.js";
export { BoundedOutput, collectBounded, type KeptBytes } from "./bounded-output.js";
export { ContainerTools, type ContainerToolsOptions, ToolNotFoundError } from "./container-tools.js";
export { TOOL_NAMES, type ToolName } from "./descriptors.js";
export { type JobMeta, type JobState, type JobStatus } from "./jobs.js";
export { normalizePath } from "./normalize-path.js";
export { PRUNE_LIMITS, pruneToolOutput } from "./prune.js";
