/** Loading nftables rules into a network namespace the host made. */
import { spawn } from "node:child_process";

import { UnavailableError } from "../../../errors.js";

/**
 * Runs `nft -f -` with `script` on stdin inside the namespace at `netns`
 * (`nsenter --net`): nft applies the whole script as one transaction, so a
 * rule set that replaces the table never leaves the namespace without one.
 */
export function loadRules(tools: { nsenter: string; nft: string }, netns: string, script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(tools.nsenter, [`--net=${netns}`, "--", tools.nft, "-f", "-"], {
      stdio: ["pipe", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += String(chunk)));
    child.on("error", (error) => reject(new UnavailableError(`cannot run nft: ${error.message}`, { cause: error })));
    child.on("close", (code) =>
      code === 0
        ? resolve()
        : reject(new UnavailableError(`loading the bot's network rules failed (nft exit ${code}): ${stderr.trim()}`)),
    );
    child.stdin.end(script);
  });
}
