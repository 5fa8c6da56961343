/**
 * How the init and the agent it runs find each other. Kept apart from the
 * init itself so that the agent, which reports readiness, loads none of it.
 */
import { closeSync, writeSync } from "node:fs";

export const INIT_FLAG = "--botbox-init";
/** The descriptor on which the agent tells its init that it is listening. */
export const READY_FD_VARIABLE = "BOTBOX_INIT_READY_FD";
export const READY_MESSAGE = "ready\n";

export function isInitMode(argv: string[]): boolean {
  return argv.includes(INIT_FLAG);
}

// Taken out of the environment at once: keepers and the bot's processes
// inherit the agent's environment and have no such descriptor.
const readyFd = Number(process.env[READY_FD_VARIABLE] ?? Number.NaN);
delete process.env[READY_FD_VARIABLE];

/** Tells the init (when there is one) that the agent is up; a no-op otherwise. */
export function reportReadyToInit(): void {
  if (!Number.isInteger(readyFd) || readyFd < 3) return;
  try {
    writeSync(readyFd, READY_MESSAGE);
    closeSync(readyFd);
  } catch {
    // The init is gone or never gave us the descriptor: nothing to tell.
  }
}
