/**
 * Stopping a container backend's task the contract's way (StopOptions): the
 * signal, a wait, then SIGKILL, or a ConflictError when the caller asked not
 * to force. Docker and containerd differ only in how they signal and look.
 */
import { ConflictError, UnavailableError } from "../errors.js";
import type { StopOptions } from "./runtime.js";

/** How long a task has to go after SIGKILL before it counts as stuck. */
const KILL_WAIT_MS = 5_000;

export interface SignalledTask {
  /** Sends the signal; a task that already ended is no error. `all`: every process of it. */
  signal(signal: NodeJS.Signals, all: boolean): Promise<void>;
  /** True when the task ended within the time. */
  waitForExit(timeoutMs: number): Promise<boolean>;
}

export async function stopRunningTask(id: string, task: SignalledTask, options: StopOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  await task.signal(options.signal ?? "SIGTERM", false);
  if (await task.waitForExit(timeoutMs)) return;
  if (options.force === false) throw new ConflictError(`task of ${id} did not stop within ${timeoutMs} ms`);
  await task.signal("SIGKILL", true);
  if (!(await task.waitForExit(KILL_WAIT_MS))) throw new UnavailableError(`task of ${id} survived SIGKILL`);
}
