// Bots' agent logs as the host reads them (docs/metrics.md, "Agent logs").
export { type AgentLogOptions, AgentLogs } from "./agent-log.js";
export { AGENT_LOG_NAME, type AgentLogTail, MAX_TAIL_LINES } from "./agent-log-files.js";
export { type AgentLogFollow, MAX_LINE_BYTES } from "./agent-log-follow.js";
export { LOG_FORMATS, type LogFormat, serverLogger, usesPrettyLog } from "./server-logger.js";
