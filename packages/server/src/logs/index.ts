// Bots' agent logs as the host reads them (docs/metrics.md, "Agent logs").
export { AGENT_LOG_NAME, type AgentLogOptions, AgentLogs, type AgentLogTail, MAX_TAIL_LINES } from "./agent-log.js";
export { LOG_FORMATS, type LogFormat, serverLogger, usesPrettyLog } from "./server-logger.js";
