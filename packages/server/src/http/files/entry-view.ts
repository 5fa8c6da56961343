import path from "node:path";

import type { FileEntry } from "../../client/index.js";

/** A file as the file manager shows it, with the original's field names. */
export interface EntryView {
  name: string;
  path: string;
  size: number;
  mode: string;
  modTime: string;
  isDir: boolean;
}

/** `entry` as the agent describes it; `entryPath` is where it is in the container. */
export function entryView(entryPath: string, entry: FileEntry): EntryView {
  return {
    name: entryPath === "/" ? "/" : path.posix.basename(entryPath),
    path: entryPath,
    size: Number(entry.size),
    mode: entry.mode,
    modTime: entry.modTime,
    isDir: entry.isDir,
  };
}

/**
 * A plain file, not a folder, device, pipe or socket (those have a type
 * letter in Go's mode string; u, g and t are permission bits).
 */
export function isRegularFile(entry: Pick<FileEntry, "mode" | "isDir">): boolean {
  const letters = entry.mode.slice(0, -9);
  return !entry.isDir && (letters === "-" || /^[ugt]+$/.test(letters));
}
