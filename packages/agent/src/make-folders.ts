import { mkdir, stat } from "node:fs/promises";
import path from "node:path";

import { errorCode } from "./rpc-error.js";

/**
 * `mkdir -p`, without Node's `{ recursive: true }`, which never returns for
 * a path under a /proc entry that does not exist (`/proc/99999/root/data`:
 * Node 20 retries that mkdir in a loop, pinning a thread of the agent's pool
 * and leaving the call unanswered; a bot can point a link there). This walks
 * up to the first folder that exists, then makes the missing ones down from
 * it; it fails like mkdir(2) does, with the system error of the step that
 * failed.
 */
export async function makeFolders(folder: string, mode = 0o755): Promise<void> {
  const missing: string[] = [];
  for (let current = path.resolve(folder); ; current = path.dirname(current)) {
    try {
      await mkdir(current, { mode });
      break;
    } catch (error) {
      // An existing entry that is not a folder fails the next mkdir below it
      // (ENOTDIR); the folder asked for must be one itself.
      if (errorCode(error) === "EEXIST") {
        if (missing.length === 0 && !(await stat(current)).isDirectory()) throw error;
        break;
      }
      if (errorCode(error) !== "ENOENT" || current === "/") throw error;
      missing.push(current);
    }
  }
  for (const folderToMake of missing.reverse()) {
    await mkdir(folderToMake, { mode }).catch((error: unknown) => {
      if (errorCode(error) !== "EEXIST") throw error;
    });
  }
}
