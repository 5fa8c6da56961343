// Public face of the agent client. Anything exported here is public API;
// named exports only.
export {
  AgentClient,
  type AgentInfo,
  type CallOptions,
  type ReadFileOptions,
  type ReadFileResult,
} from "./agent-client.js";
export { type AgentEndpoint, sameEndpoint } from "./endpoint.js";
export { mapGrpcError } from "./error-mapping.js";
export { type ExecEvent, ExecHandle, type ExecOptions, type ExecResult } from "./exec-stream.js";
export { type FileEntry, type FileKind, parseGoMode } from "./file-entry.js";
export { AgentPool, type AgentPoolOptions, type AgentProvider, type EndpointResolver } from "./pool.js";
export {
  ProcessClient,
  processClientFor,
  type ProcessCommand,
  type ProcessEvent,
  type ProcessRef,
  type ProcessView,
  type StartProcessOptions,
  type TerminalSize,
} from "./process-client.js";
export { type ByteSource, RAW_CHUNK_BYTES } from "./raw-transfer.js";
export { TunnelStream } from "./tunnel.js";
