import { accessSync, constants } from "node:fs";
import path from "node:path";

import { UnavailableError } from "../../errors.js";

/** The first executable `name` on PATH, then in the system folders (root's PATH has sbin, a user's may not). */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(":").filter(Boolean), "/usr/sbin", "/usr/bin", "/sbin", "/bin"];
  return firstExecutable(dirs.map((dir) => path.join(dir, name)));
}

function firstExecutable(candidates: string[]): string | undefined {
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Try the next one.
    }
  }
  return undefined;
}

/** The bwrap binary to use, or an error that says how to install it. */
export function findBwrap(explicit: string | undefined): string {
  const found = explicit ? firstExecutable([explicit]) : findExecutable("bwrap");
  if (found) return found;
  throw new UnavailableError(
    `the sandbox runtime needs bubblewrap, and ${explicit ?? "bwrap"} was not found: install it with \`apt-get install bubblewrap\``,
  );
}
