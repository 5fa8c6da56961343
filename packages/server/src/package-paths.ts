import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The repository's `packages/` folder, found by walking up from this module,
 * so the same code works from `src/` (tsx) and from the `dist/` bundle, whose
 * depths differ.
 */
function findPackagesDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 8; depth++) {
    if (path.basename(dir) === "server" && existsSync(path.join(dir, "..", "agent", "package.json"))) {
      return path.dirname(dir);
    }
    dir = path.dirname(dir);
  }
  return path.resolve("packages");
}

const PACKAGES_DIR = findPackagesDir();

export const packagePath = (...segments: string[]) => path.join(PACKAGES_DIR, ...segments);
