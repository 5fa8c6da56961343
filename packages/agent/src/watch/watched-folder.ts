import type { FSWatcher, Stats } from "node:fs";
import { lstat } from "node:fs/promises";

import { EntryKind } from "@botbox/proto";

/** What the watch last knew of one name in a folder: enough to tell a rename (same inode) from a new file. */
export interface EntryState {
  readonly dev: number;
  readonly ino: number;
  readonly kind: EntryKind;
}

export const sameInode = (a: EntryState, b: EntryState) => a.dev === b.dev && a.ino === b.ino;
export const inodeKey = (entry: EntryState) => `${entry.dev}:${entry.ino}`;

/**
 * A folder with an inotify watch on it, in a tree under the watched root.
 * Its path is computed from its parents, so moving a folder (a rename seen
 * inside the tree) moves every folder below it with no other bookkeeping:
 * inotify watches inodes, not names, and the inodes did not change.
 */
export class WatchedFolder {
  readonly entries = new Map<string, EntryState>();
  readonly children = new Map<string, WatchedFolder>();
  watcher: FSWatcher | undefined;
  closed = false;

  constructor(
    public parent: WatchedFolder | undefined,
    public name: string,
  ) {}

  /** "/"-separated from the root; "" for the root itself. */
  get relativePath(): string {
    return this.parent === undefined ? "" : joinRelative(this.parent.relativePath, this.name);
  }

  /** Stops watching this folder and every folder below it; answers how many were closed. */
  closeTree(): number {
    let closed = 0;
    for (const child of this.children.values()) closed += child.closeTree();
    this.children.clear();
    if (!this.closed) {
      this.closed = true;
      this.watcher?.close();
      closed += 1;
    }
    return closed;
  }

  /** Hangs this folder under `parent` as `name`, leaving its old place (the caller cleared the new one). */
  moveTo(parent: WatchedFolder, name: string): void {
    if (this.parent?.children.get(this.name) === this) this.parent.children.delete(this.name);
    this.parent = parent;
    this.name = name;
    parent.children.set(name, this);
  }
}

export const joinRelative = (folder: string, name: string) => (folder === "" ? name : `${folder}/${name}`);

/** The entry at `fullPath` without following a link, or undefined when there is none. */
export async function lstatEntry(fullPath: string): Promise<EntryState | undefined> {
  try {
    return entryState(await lstat(fullPath));
  } catch {
    // Gone (ENOENT), or a folder on the way is gone or replaced (ENOTDIR):
    // for the watch, not there.
    return undefined;
  }
}

export function entryState(stats: Stats): EntryState {
  return { dev: stats.dev, ino: stats.ino, kind: kindOf(stats) };
}

function kindOf(stats: Stats): EntryKind {
  if (stats.isFile()) return EntryKind.ENTRY_KIND_FILE;
  if (stats.isDirectory()) return EntryKind.ENTRY_KIND_DIRECTORY;
  if (stats.isSymbolicLink()) return EntryKind.ENTRY_KIND_SYMLINK;
  return EntryKind.ENTRY_KIND_OTHER;
}
