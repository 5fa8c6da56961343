// Public face of the sandbox runtime. Anything exported here is public API;
// named exports only.
export { FIRST_HOST_ID } from "./host-ids.js";
export { DEFAULT_IMAGE } from "./images/image-store.js";
export { SandboxRuntime, type SandboxRuntimeOptions } from "./sandbox-runtime.js";
export { MAX_LAYERS } from "./state/overlay-state.js";
