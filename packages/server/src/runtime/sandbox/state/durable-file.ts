/**
 * Writes that survive a crash of the server (and of the host): the file is
 * written and fsynced under a temporary name, renamed into place, and its
 * folder fsynced so the rename itself is on disk before the caller goes on.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { open, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";

export async function writeFileDurably(file: string, text: string, mode = 0o600): Promise<void> {
  const temporary = `${file}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    const handle = await open(temporary, "wx", mode);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await syncFolder(path.dirname(file));
}

/** Makes the creations, renames and deletions of entries in `folder` durable. */
export function syncFolder(folder: string): Promise<void> {
  return syncFile(folder);
}

/**
 * Fsyncs every file and folder under `folder`: before a commit point, the
 * files a bot wrote into a layer must be on disk, not only the index naming
 * them. Costs what is still unwritten of what changed, not what other bots
 * write to the same file system (as syncfs would).
 */
export async function syncTree(folder: string): Promise<void> {
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const child = path.join(folder, entry.name);
    if (entry.isDirectory()) await syncTree(child);
    // Links need no fsync of their own; whiteouts are devices, which cannot be opened as files.
    else if (entry.isFile()) await syncFile(child);
  }
  await syncFolder(folder);
}

async function syncFile(file: string): Promise<void> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
