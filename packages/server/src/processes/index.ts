// The bots' durable processes, as the HTTP routes and the CLI use them (docs/processes.md).
export {
  type OutputEncoding,
  outputEventJson,
  PROCESS_ID_PATTERN,
  processJson,
  processRef,
  resumeOffset,
} from "./wire.js";
export { WorkspaceProcesses, type WorkspaceProcessesOptions } from "./workspace-processes.js";
