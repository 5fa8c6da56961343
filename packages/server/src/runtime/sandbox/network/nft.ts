/** Loading nftables rules into a network namespace the host made. */
import { spawn } from "node:child_process";
import { setPriority } from "node:os";

import { UnavailableError } from "../../../errors.js";

/**
 * Runs `nft -f -` with `script` on stdin inside the namespace at `netns`
 * (`nsenter --net`): nft applies the whole script as one transaction, so a
 * rule set that replaces the table never leaves the namespace without one.
 */
export function loadRules(
  tools: { nsenter: string; nft: string },
  netns: string,
  script: string,
  options: { background?: boolean } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(tools.nsenter, [`--net=${netns}`, "--", tools.nft, "-f", "-"], {
      stdio: ["pipe", "ignore", "pipe"],
    });
    if (options.background) yieldCpu(child.pid);
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += String(chunk)));
    child.on("error", (error) => reject(new UnavailableError(`cannot run nft: ${error.message}`, { cause: error })));
    child.on("close", (code) =>
      code === 0
        ? resolve()
        : reject(new UnavailableError(`loading the bot's network rules failed (nft exit ${code}): ${stderr.trim()}`)),
    );
    // nft that fails early (a namespace gone) leaves the script unread: its close reports that, not the pipe.
    child.stdin.on("error", () => {});
    child.stdin.end(script);
  });
}

/**
 * Lowest CPU priority for work done ahead (the namespace pool), so a booting
 * agent wins the CPU over it; a no-op when the process is already gone.
 */
export function yieldCpu(pid: number | undefined, priority = 19): void {
  if (pid === undefined) return;
  try {
    setPriority(pid, priority);
  } catch {
    // Ended already.
  }
}
