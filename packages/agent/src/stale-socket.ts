import { lstatSync, unlinkSync } from "node:fs";

import { ConfigError } from "./config.js";
import { errorCode } from "./error-code.js";

/**
 * Clears the way to bind a Unix socket at `socketPath`: a socket left there
 * by an agent that died (nothing listens on it any more) is removed;
 * anything else is refused rather than replaced. Used by the agent binding
 * on its own and by the workspace's init binding for its agents.
 */
export function removeStaleSocket(socketPath: string): void {
  try {
    const existing = lstatSync(socketPath);
    if (!existing.isSocket()) throw new ConfigError(`${socketPath} exists and is not a socket; refusing to replace it`);
    unlinkSync(socketPath);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    if (errorCode(error) !== "ENOENT") throw error;
  }
}
