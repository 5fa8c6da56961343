import { accessSync, constants } from "node:fs";
import path from "node:path";

import { UnavailableError } from "../../errors.js";

/** The bwrap binary to use, or an error that says how to install it. */
export function findBwrap(explicit: string | undefined): string {
  const candidates = explicit
    ? [explicit]
    : [
        ...(process.env.PATH ?? "")
          .split(":")
          .filter(Boolean)
          .map((dir) => path.join(dir, "bwrap")),
        "/usr/bin/bwrap",
      ];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Try the next one.
    }
  }
  throw new UnavailableError(
    `the sandbox runtime needs bubblewrap, and ${explicit ?? "bwrap"} was not found: install it with \`apt-get install bubblewrap\``,
  );
}
