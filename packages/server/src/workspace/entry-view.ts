import path from "node:path";

import type { FileEntry } from "../client/index.js";

/**
 * A file as the file manager's HTTP API shows it, with the original's field
 * names and Go's mode string (client/file-entry.ts has the typed view).
 */
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
