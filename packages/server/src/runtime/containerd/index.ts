// Public face of the containerd runtime. Anything exported here is public API;
// named exports only. Importing it loads the generated API stubs: serve.ts
// imports it only when [runtime] backend is "containerd".
export { ContainerdRuntime } from "./containerd-runtime.js";
export { type ChannelMode } from "./oci-spec.js";
export { containerdOptionsFrom, type ContainerdRuntimeOptions } from "./options.js";
