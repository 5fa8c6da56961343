import { type ProcessInfo, ProcessStatus } from "@botbox/proto";

import type { KnownProcess } from "./process-table.js";

export function toProcessInfo({ record, state }: KnownProcess): ProcessInfo {
  const info: ProcessInfo = {
    id: record.id,
    tag: record.tag,
    argv: record.argv,
    shell: record.shell,
    cwd: record.cwd,
    pid: record.pid,
    status: ProcessStatus.PROCESS_STATUS_LOST,
    startedAt: record.startedAt,
    endedAt: "",
    signal: "",
    pty: record.pty,
    outputBytes: 0,
    droppedBytes: 0,
    inputOpen: false,
  };
  if (state.status === "running") {
    info.status = ProcessStatus.PROCESS_STATUS_RUNNING;
    info.outputBytes = state.live.outputBytes;
    info.droppedBytes = state.live.droppedBytes;
    info.inputOpen = state.live.inputOpen;
  } else if (state.status === "unresponsive") {
    info.status = ProcessStatus.PROCESS_STATUS_UNRESPONSIVE;
  } else if (state.status === "exited") {
    info.status = ProcessStatus.PROCESS_STATUS_EXITED;
    info.exitCode = state.exit.exitCode;
    info.signal = state.exit.signal;
    info.endedAt = state.exit.endedAt;
    info.outputBytes = state.exit.outputBytes;
    info.droppedBytes = state.exit.droppedBytes;
  }
  return info;
}
