// The workspace's init (agent.js --botbox-init): runs the agent and starts it again when it dies.
export { runInit } from "./agent-init.js";
export { INIT_FLAG, isInitMode, reportReadyToInit } from "./init-mode.js";
