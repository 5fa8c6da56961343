import path from "node:path";

import { invalidArgument } from "./rpc-error.js";

/**
 * Absolute paths are cleaned, relative ones are joined onto the data
 * folder. `..` may climb out of it: the workspace itself is the sandbox.
 */
export function resolvePath(dataDir: string, requested: string): string {
  if (requested === "") throw invalidArgument("path is required");
  if (requested.includes("\0")) throw invalidArgument("path must not contain NUL bytes");
  return path.isAbsolute(requested) ? path.resolve(requested) : path.resolve(dataDir, requested);
}
