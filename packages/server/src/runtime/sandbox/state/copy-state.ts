/**
 * Snapshots as full copies, for a server that is not root and so cannot mount
 * overlays: `cp -a --reflink=auto`, which is cheap only on a copy-on-write
 * file system (btrfs, XFS with reflink). doctor says so. A commit's copy
 * counts once the index names it; a restore is logged and rolled back after a
 * crash (copy-recovery.ts).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

import type { SnapshotInfo } from "../../runtime.js";
import type { HostIdentity } from "../host-ids.js";
import { type CopyPaths, dropUnusedCopies, recoverCopies, settleCopyIntent } from "./copy-recovery.js";
import { crashPoint } from "./crash-point.js";
import { syncFolder, syncTree } from "./durable-file.js";
import { IndexedState } from "./indexed-state.js";
import { forgetRecovery, recoverOnce, writeIntent } from "./intent-log.js";
import {
  readIndex,
  readIndexForCommit,
  recordSnapshot,
  snapshotNamed,
  withoutSnapshot,
  writeIndex,
} from "./snapshot-index.js";
import { makeStateFolders, type WritableState } from "./writable-state.js";

const run = promisify(execFile);

export class CopyState extends IndexedState implements WritableState {
  readonly kind = "copy";
  private readonly paths: CopyPaths;

  constructor(
    stateDir: string,
    private readonly owner: HostIdentity,
  ) {
    super(stateDir);
    this.paths = { state: stateDir, upper: path.join(stateDir, "upper"), copies: path.join(stateDir, "snapshots") };
  }

  init(): Promise<void> {
    return this.locked(async () => {
      await mkdir(this.paths.copies, { recursive: true, mode: 0o700 });
      await makeStateFolders(this.paths.upper, this.owner);
      await writeIndex(this.paths.state, await readIndex(this.paths.state));
    });
  }

  async activate(): Promise<string> {
    await this.recover();
    return this.paths.upper;
  }

  async deactivate(): Promise<void> {
    await this.recover();
  }

  commit(name: string): Promise<SnapshotInfo> {
    return this.locked(async () => {
      const index = await readIndexForCommit(this.paths.state, name);
      await copyTree(this.paths.upper, path.join(this.paths.copies, name));
      crashPoint("copy-commit:copied");
      const snapshot = recordSnapshot(index, name, [name], []);
      await syncTree(path.join(this.paths.copies, name));
      await writeIndex(this.paths.state, index);
      return snapshot;
    });
  }

  restore(name: string): Promise<void> {
    return this.locked(async () => {
      const index = await readIndex(this.paths.state);
      snapshotNamed(index, name);
      const suffix = randomBytes(4).toString("hex");
      const fresh = `restore-${suffix}`;
      const trash = `trash-${suffix}`;
      const op = await writeIntent(this.paths.state, { op: "copy-restore", name, fresh, trash });
      try {
        await copyTree(path.join(this.paths.copies, name), path.join(this.paths.state, fresh));
        crashPoint("copy-restore:copied");
        await rename(this.paths.upper, path.join(this.paths.state, trash));
        crashPoint("copy-restore:upper-moved");
        await rename(path.join(this.paths.state, fresh), this.paths.upper);
        await syncFolder(this.paths.state);
        crashPoint("copy-restore:copy-moved");
        index.active = { layers: [], parent: name };
        index.lastOp = op.id;
        await writeIndex(this.paths.state, index);
      } catch (error) {
        await settleCopyIntent(this.paths, op, await readIndex(this.paths.state)).catch(() =>
          forgetRecovery(this.paths.state),
        );
        throw error;
      }
      await settleCopyIntent(this.paths, op, index);
      await dropUnusedCopies(this.paths, index);
    });
  }

  delete(name: string): Promise<void> {
    return this.locked(async () => {
      const index = withoutSnapshot(await readIndex(this.paths.state), name);
      await writeIndex(this.paths.state, index);
      crashPoint("copy-delete:index-written");
      await rm(path.join(this.paths.copies, name), { recursive: true, force: true });
    });
  }

  protected recover(): Promise<void> {
    return recoverOnce(this.paths.state, () => recoverCopies(this.paths));
  }
}

/** Builds the copy beside its target and renames it in, so a failed copy leaves nothing. */
async function copyTree(source: string, target: string): Promise<void> {
  const temporary = `${target}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await run("cp", ["-a", "--reflink=auto", source, temporary]);
    await rename(temporary, target);
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
}
