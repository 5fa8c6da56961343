import type { ChildProcess } from "node:child_process";
import { once } from "node:events";

/** Sends SIGTERM to a child that still runs and waits for it to exit; a child that has ended is left alone. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  await once(child, "exit");
}
