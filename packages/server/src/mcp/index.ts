// Public face of the stdio MCP sessions. Anything exported here is public
// API; named exports only.
export {
  type JsonRpcCallRequest,
  type JsonRpcEnvelope,
  type JsonRpcErrorEnvelope,
  type JsonRpcId,
  type JsonRpcResultEnvelope,
} from "./envelope.js";
export { McpCancelledError, McpServerError, McpSessionClosedError, McpTimeoutError } from "./errors.js";
export {
  DEFAULT_MAX_LINE_BYTES,
  type ExecStream,
  ExecTransport,
  type ExecTransportEnd,
  type ExecTransportOptions,
} from "./exec-transport.js";
export {
  FEDERATED_TOOL_SEPARATOR,
  FederatedMcpServers,
  type FederatedMcpServersOptions,
  federatedToolName,
  splitFederatedToolName,
  type StdioConfigSource,
} from "./federation.js";
export { probeTools } from "./probe-tools.js";
export {
  type McpCallOptions,
  type McpLogger,
  type StdioServerConfig,
  type StdioSessionOptions,
  type StdioSessionStart,
} from "./session-config.js";
export {
  DEFAULT_MAX_SESSIONS_PER_BOT,
  StdioSessionRegistry,
  type StdioSessionRegistryOptions,
} from "./session-registry.js";
export { buildServerCommand } from "./shell-command.js";
export { StdioSession } from "./stdio-session.js";
export { BotToolGateway, type BotToolGatewayOptions, UnknownGatewayToolError } from "./tool-gateway.js";
