import { type EntryState, inodeKey, sameInode, type WatchedFolder } from "./watched-folder.js";

/** One name inotify mentioned in a batch: what the watch knew of it, and what is there now. */
export interface SeenName {
  folder: WatchedFolder;
  name: string;
  /** What the folder held under this name when last looked at. */
  before: EntryState | undefined;
  /** What is there now (lstat), or undefined when nothing is. */
  now: EntryState | undefined;
  /** inotify said "rename" (created, deleted, moved) and/or "change" (written, attributes). */
  renamed: boolean;
  changed: boolean;
  time: Date;
}

export type Outcome =
  | { type: "renamed"; target: SeenName; source: SeenName }
  | { type: "created" | "deleted" | "modified" | "replaced" | "kind-changed"; target: SeenName };

/**
 * What happened to the names of one batch, in the order inotify mentioned
 * them. fs.watch does not pass on inotify's rename cookie, so a rename is
 * recognised by its inode: a name whose entry went away and a name where
 * that same inode now is. Without a partner inside the watched tree, a move
 * out reads as deleted and a move in as created.
 *
 * - gone and nothing new there: deleted (unless renamed elsewhere in the batch)
 * - new inode where there was none: created, or renamed when the inode left another name
 * - a different inode of the same kind where one was: replaced, reported as
 *   modified (an editor's or the agent's atomic save), or renamed over
 * - a different kind: deleted, then created
 * - the same inode, written to: modified
 * - nothing before and nothing now (made and removed within the batch): not reported
 */
export function classifyBatch(seen: readonly SeenName[]): Outcome[] {
  const gone = new Map<string, SeenName>();
  for (const name of seen) {
    if (name.before !== undefined && (name.now === undefined || !sameInode(name.before, name.now)))
      gone.set(inodeKey(name.before), name);
  }
  const sources = new Map<SeenName, SeenName>();
  const paired = new Set<SeenName>();
  for (const name of seen) {
    if (name.now === undefined || (name.before !== undefined && sameInode(name.before, name.now))) continue;
    const source = gone.get(inodeKey(name.now));
    if (source === undefined || source === name || paired.has(source)) continue;
    paired.add(source);
    sources.set(name, source);
  }
  const outcomes: Outcome[] = [];
  for (const name of seen) {
    const source = sources.get(name);
    if (source !== undefined) {
      outcomes.push({ type: "renamed", target: name, source });
      continue;
    }
    const { before, now } = name;
    // A name whose entry moved away is, if anything is there now, new.
    if (before === undefined || paired.has(name)) {
      if (now !== undefined) outcomes.push({ type: "created", target: name });
    } else if (now === undefined) {
      outcomes.push({ type: "deleted", target: name });
    } else if (!sameInode(before, now)) {
      outcomes.push({ type: before.kind === now.kind ? "replaced" : "kind-changed", target: name });
    } else if (name.changed) {
      outcomes.push({ type: "modified", target: name });
    }
  }
  return outcomes;
}
