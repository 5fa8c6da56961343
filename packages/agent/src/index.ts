// Public face of the agent package. Anything exported here is public API.
export { type AgentConfig, ConfigError, loadAgentConfig, parseListenAddress } from "./config.js";
export { goFileMode, rfc3339 } from "./file-entry.js";
export { listen, type RunningAgent } from "./server.js";
export { seedTemplates } from "./templates.js";
export { AGENT_VERSION } from "./version.js";
