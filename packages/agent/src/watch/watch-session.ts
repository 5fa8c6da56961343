import { constants, watch } from "node:fs";
import { type FileHandle, open, readdir, stat } from "node:fs/promises";

import { ChangeType, EntryKind, type WatchEvent } from "@botbox/proto";
import { status } from "@grpc/grpc-js";

import { errorCode } from "../error-code.js";
import { RpcError } from "../rpc-error.js";
import { classifyBatch, type SeenName } from "./classify.js";
import type { WatchRoot } from "./watch-root.js";
import { type EntryState, joinRelative, lstatEntry, sameInode, WatchedFolder } from "./watched-folder.js";

/**
 * How long names touched by inotify are collected before they are looked
 * at: a rename's two halves arrive together and pair up by inode, and a
 * burst of writes to one file becomes one `modified`.
 */
export const BATCH_MS = 25;

const FOLDER_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

export interface WatchSessionOptions {
  root: WatchRoot;
  recursive: boolean;
  maxFolders: number;
  emit: (event: WatchEvent) => void;
  /** The watched folder itself was deleted or moved: nothing more will come. */
  onRootGone: () => void;
  /** Processing failed unexpectedly. */
  onError: (error: unknown) => void;
}

interface PendingName {
  renamed: boolean;
  changed: boolean;
  time: Date;
}

/**
 * One watch: an fs.watch (inotify) per folder, the tree of those folders,
 * and what each folder held when last looked at. inotify through fs.watch
 * says only "rename" or "change" and a name; looking at the name afterwards
 * (lstat) and comparing with what was known tells created, deleted,
 * modified and, by inode, renamed apart (classify.ts).
 */
export class WatchSession {
  readonly #options: WatchSessionOptions;
  #root: WatchedFolder | undefined;
  #folders = 0;
  #pending = new Map<WatchedFolder, Map<string, PendingName>>();
  #rootTouched = false;
  #timer: NodeJS.Timeout | undefined;
  #work: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: WatchSessionOptions) {
    this.#options = options;
  }

  get folders(): number {
    return this.#folders;
  }

  /** Watches the root (and, recursive, its tree); fails if the tree has too many folders. */
  async start(): Promise<void> {
    const { handle } = this.#options.root;
    this.#root = await this.#watchFolder(undefined, "", handle, { announce: false, initial: true });
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#root?.closeTree();
    this.#pending.clear();
  }

  /**
   * Puts an inotify watch on the folder `handle` holds (through
   * /proc/self/fd, so it is that very folder, whatever its path became),
   * then lists it. The watch comes first so that nothing made in between is
   * missed; `announce` reports what the listing finds as created (a folder
   * that just appeared: its contents are new too).
   */
  async #watchFolder(
    parent: WatchedFolder | undefined,
    name: string,
    handle: FileHandle,
    mode: { announce: boolean; initial: boolean },
  ): Promise<WatchedFolder | undefined> {
    const folder = new WatchedFolder(parent, name);
    const shown = joinRelative(this.#options.root.path, folder.relativePath);
    if (this.#folders >= this.#options.maxFolders) {
      const message = `${this.#folders} folders are watched, the most one watch may hold (BOTBOX_WATCH_MAX_FOLDERS)`;
      if (mode.initial)
        throw new RpcError(
          status.RESOURCE_EXHAUSTED,
          `watch ${this.#options.root.path}: the tree has more folders than one watch may hold (${this.#options.maxFolders}, BOTBOX_WATCH_MAX_FOLDERS); watch a smaller folder or not recursively`,
        );
      this.#notice(folder.relativePath, `not watching ${shown}: ${message}`);
      return undefined;
    }
    try {
      folder.watcher = watch(`/proc/self/fd/${handle.fd}/.`, { persistent: false }, (type, filename) =>
        this.#touched(folder, type, filename),
      );
    } catch (error) {
      const message =
        errorCode(error) === "ENOSPC"
          ? `the kernel's inotify watches are used up (fs.inotify.max_user_watches)`
          : String(error);
      if (mode.initial) throw new RpcError(status.RESOURCE_EXHAUSTED, `watch ${shown}: ${message}`);
      this.#notice(folder.relativePath, `not watching ${shown}: ${message}`);
      return undefined;
    }
    folder.watcher.on("error", (error) => {
      this.#notice(folder.relativePath, `stopped watching ${shown}: ${String(error)}`);
      this.#folders -= folder.closeTree();
    });
    this.#folders += 1;
    parent?.children.set(name, folder);
    const names = await readdir(`/proc/self/fd/${handle.fd}`).catch(() => [] as string[]);
    for (const entryName of names) {
      if (this.#closed || folder.closed) break;
      const entry = await lstatEntry(`/proc/self/fd/${handle.fd}/${entryName}`);
      if (entry === undefined) continue;
      folder.entries.set(entryName, entry);
      if (mode.announce) this.#change(ChangeType.CHANGE_TYPE_CREATED, folder, entryName, entry.kind, new Date());
      if (this.#options.recursive && entry.kind === EntryKind.ENTRY_KIND_DIRECTORY) {
        const child = await open(`/proc/self/fd/${handle.fd}/${entryName}`, FOLDER_FLAGS).catch(() => undefined);
        if (child === undefined) continue;
        try {
          if ((await child.stat()).ino === entry.ino) await this.#watchFolder(folder, entryName, child, mode);
        } finally {
          await child.close();
        }
      }
    }
    return folder;
  }

  #touched(folder: WatchedFolder, type: string, filename: string | Buffer | null): void {
    if (this.#closed || folder.closed || filename === null) return;
    const name = filename.toString();
    // libuv names the watched folder itself by the basename of the path it
    // was given: "." here, which no entry can be called.
    if (name === ".") {
      if (folder === this.#root) this.#rootTouched = true;
    } else {
      let names = this.#pending.get(folder);
      if (names === undefined) this.#pending.set(folder, (names = new Map()));
      const pending = names.get(name) ?? { renamed: false, changed: false, time: new Date() };
      if (type === "rename") pending.renamed = true;
      else pending.changed = true;
      names.set(name, pending);
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      const batch = this.#pending;
      const rootTouched = this.#rootTouched;
      this.#pending = new Map();
      this.#rootTouched = false;
      this.#work = this.#work
        .then(() => this.#process(batch, rootTouched))
        .catch((error: unknown) => this.#options.onError(error));
    }, BATCH_MS);
  }

  async #process(batch: Map<WatchedFolder, Map<string, PendingName>>, rootTouched: boolean): Promise<void> {
    const seen: SeenName[] = [];
    for (const [folder, names] of batch) {
      for (const [name, pending] of names) {
        if (this.#closed || folder.closed) break;
        const now = await lstatEntry(`${this.#options.root.path}/${joinRelative(folder.relativePath, name)}`);
        seen.push({ folder, name, before: folder.entries.get(name), now, ...pending });
      }
    }
    for (const outcome of classifyBatch(seen)) {
      if (this.#closed) return;
      const { target } = outcome;
      const { folder, name, time } = target;
      switch (outcome.type) {
        case "renamed": {
          const source = outcome.source;
          this.#emit(ChangeType.CHANGE_TYPE_RENAMED, folder, name, target.now!.kind, time, source);
          // Unless something new took the old name earlier in this batch.
          const left = source.folder.entries.get(source.name);
          if (left !== undefined && source.before !== undefined && sameInode(left, source.before))
            source.folder.entries.delete(source.name);
          const moving = source.folder.children.get(source.name);
          await this.#settle(folder, name, target.now!, { moving, announce: true });
          break;
        }
        case "replaced":
          this.#change(ChangeType.CHANGE_TYPE_MODIFIED, folder, name, target.now!.kind, time);
          await this.#settle(folder, name, target.now!, { announce: false });
          break;
        case "kind-changed":
          this.#change(ChangeType.CHANGE_TYPE_DELETED, folder, name, target.before!.kind, time);
          this.#change(ChangeType.CHANGE_TYPE_CREATED, folder, name, target.now!.kind, time);
          await this.#settle(folder, name, target.now!, { announce: true });
          break;
        case "deleted":
          this.#change(ChangeType.CHANGE_TYPE_DELETED, folder, name, target.before!.kind, time);
          folder.entries.delete(name);
          this.#forget(folder, name);
          break;
        case "created":
          this.#change(ChangeType.CHANGE_TYPE_CREATED, folder, name, target.now!.kind, time);
          await this.#settle(folder, name, target.now!, { announce: true });
          break;
        case "modified":
          this.#change(ChangeType.CHANGE_TYPE_MODIFIED, folder, name, target.now!.kind, time);
          folder.entries.set(name, target.now!);
          break;
      }
    }
    if (rootTouched) await this.#checkRoot();
  }

  /**
   * Records `entry` as `name` in `folder` and keeps the watched tree in step:
   * a folder moved within the tree keeps its watches under its new name; a
   * folder that arrived any other way gets watches (recursive only).
   */
  async #settle(
    folder: WatchedFolder,
    name: string,
    entry: EntryState,
    how: { moving?: WatchedFolder | undefined; announce: boolean },
  ): Promise<void> {
    folder.entries.set(name, entry);
    if (how.moving !== undefined && !how.moving.closed && entry.kind === EntryKind.ENTRY_KIND_DIRECTORY) {
      if (folder.children.get(name) !== how.moving) this.#forget(folder, name);
      how.moving.moveTo(folder, name);
      return;
    }
    if (how.moving !== undefined) this.#folders -= how.moving.closeTree();
    this.#forget(folder, name);
    if (!this.#options.recursive || entry.kind !== EntryKind.ENTRY_KIND_DIRECTORY) return;
    const fullPath = `${this.#options.root.path}/${joinRelative(folder.relativePath, name)}`;
    const handle = await open(fullPath, FOLDER_FLAGS).catch(() => undefined);
    if (handle === undefined) return;
    try {
      // The folder seen is the one opened: not one swapped in since, nor a link.
      if ((await handle.stat()).ino === entry.ino)
        await this.#watchFolder(folder, name, handle, { announce: how.announce, initial: false });
    } finally {
      await handle.close();
    }
  }

  /** Stops watching the folder that was `name` in `folder`, if one was watched. */
  #forget(folder: WatchedFolder, name: string): void {
    const child = folder.children.get(name);
    if (child === undefined) return;
    folder.children.delete(name);
    this.#folders -= child.closeTree();
  }

  /**
   * inotify said something of the watched folder itself. Gone from its path
   * (deleted, or moved away: fs.watch tells the two apart no better than a
   * rename elsewhere), the watch reports it and ends.
   */
  async #checkRoot(): Promise<void> {
    const { root } = this.#options;
    const there = await stat(root.path).catch(() => undefined);
    if (there !== undefined && there.ino === root.ino && there.dev === root.dev) return;
    this.#emit(ChangeType.CHANGE_TYPE_DELETED, undefined, "", EntryKind.ENTRY_KIND_DIRECTORY, new Date());
    this.close();
    this.#options.onRootGone();
  }

  #change(type: ChangeType, folder: WatchedFolder, name: string, kind: EntryKind, time: Date): void {
    this.#emit(type, folder, name, kind, time);
  }

  #emit(
    type: ChangeType,
    folder: WatchedFolder | undefined,
    name: string,
    kind: EntryKind,
    time: Date,
    source?: SeenName,
  ): void {
    const path = folder === undefined ? name : joinRelative(folder.relativePath, name);
    const fromPath = source === undefined ? "" : joinRelative(source.folder.relativePath, source.name);
    this.#options.emit({
      event: { $case: "change", value: { type, path, fromPath, kind, time: time.toISOString() } },
    });
  }

  #notice(path: string, message: string): void {
    this.#options.emit({ event: { $case: "notice", value: { path, message } } });
  }
}
