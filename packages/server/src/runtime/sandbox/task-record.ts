/**
 * A running task is recorded in `task.json` (pid and kernel start time of the
 * sandbox's init), so any runtime instance, e.g. after a server restart, can
 * find it again. The start time tells a live task from a reused pid.
 */
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

import type { TaskInfo } from "../runtime.js";
import { readJsonFile } from "./json-file.js";
import type { NetworkTaskRecord } from "./network/index.js";

export interface TaskRecord {
  /** Host pid of the sandbox's init (PID 1 inside), the task's pid. */
  pid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks since boot, unique per pid lifetime. */
  startTime: string;
  /** Host pid of the outer bwrap process that waits for the init. */
  monitorPid: number;
  startedAt: string;
  /** An isolated bot's slirp4netns and the egress addresses loaded. */
  network?: NetworkTaskRecord;
  /** Run by gVisor's runsc: `pid` is its sandbox process, stopped through runsc. */
  gvisor?: boolean;
}

/** A live process's command name and start time; undefined when it is gone or a zombie. */
async function liveProcess(pid: number): Promise<{ name: string; startTime: string } | undefined> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: split after the last ")".
  const close = stat.lastIndexOf(")");
  const fields = stat.slice(close + 2).split(" ");
  const state = fields[0];
  if (state === "Z" || state === "X") return undefined;
  return { name: stat.slice(stat.indexOf("(") + 1, close), startTime: fields[22 - 3]! };
}

/** The process's start time, or undefined when it is gone or a zombie. */
export async function processStartTime(pid: number): Promise<string | undefined> {
  return (await liveProcess(pid))?.startTime;
}

export async function isAlive(record: TaskRecord): Promise<boolean> {
  return (await processStartTime(record.pid)) === record.startTime;
}

/** bwrap's `--json-status-fd` writes `{"exit-code": N}` when the sandbox ends. */
export async function readExitCode(statusFile: string): Promise<number | undefined> {
  const text = await readFile(statusFile, "utf8").catch(() => "");
  const match = /"exit-code"\s*:\s*(\d+)/.exec(text);
  return match ? Number(match[1]) : undefined;
}

/**
 * The exit code of a task whose init has ended. bwrap's monitor writes it just
 * after the init ends: give it a moment while the monitor still lives (it may
 * have been killed on its own, and then there is none; its pid then belongs
 * to bwrap no more, or to nothing).
 */
async function awaitExitCode(task: TaskRecord, statusFile: string): Promise<number | undefined> {
  // A deadline, not a count of tries: on a loaded machine each try takes
  // longer, and the monitor's write waits for the scheduler too.
  const deadline = Date.now() + EXIT_CODE_WAIT_MS;
  while (Date.now() < deadline) {
    const exitCode = await readExitCode(statusFile);
    if (exitCode !== undefined) return exitCode;
    // Gone: it may have written the code and exited since the read above.
    if ((await liveProcess(task.monitorPid))?.name !== "bwrap") return readExitCode(statusFile);
    await sleep(20);
  }
  return readExitCode(statusFile);
}

/** How long a living monitor gets to write the exit code of an ended init. */
const EXIT_CODE_WAIT_MS = 5_000;

export async function readTaskInfo(taskFile: string, statusFile: string): Promise<TaskInfo> {
  const record = await readJsonFile<TaskRecord>(taskFile);
  if (!record) return { state: "missing" };
  const startedAt = new Date(record.startedAt);
  if (await isAlive(record)) return { state: "running", pid: record.pid, startedAt };
  // A task seen just as it ended still reports how it ended.
  const exitCode = await awaitExitCode(record, statusFile);
  return exitCode === undefined ? { state: "stopped", startedAt } : { state: "stopped", startedAt, exitCode };
}

/** Polls until the task has ended; false when it still runs after `timeoutMs`. */
export async function waitForExit(task: TaskRecord, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await isAlive(task)) {
    if (Date.now() >= deadline) return false;
    await sleep(20);
  }
  return true;
}
