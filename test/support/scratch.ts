import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * Runs `work` in a fresh folder named `prefix` plus six random characters
 * (under the temporary folder unless `prefix` is absolute) and removes the
 * folder after, however `work` ends.
 */
export async function withScratchFolder<T>(prefix: string, work: (folder: string) => Promise<T>): Promise<T> {
  const folder = await mkdtemp(path.isAbsolute(prefix) ? prefix : path.join(tmpdir(), prefix));
  try {
    return await work(folder);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
