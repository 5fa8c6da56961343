/**
 * Snapshots as overlay layers (needs root to mount). The active state is an
 * upper folder; committed snapshots are chains of read-only layers below it:
 *
 *   state/upper/     what changed since the last commit or restore
 *   state/layers/<id>/  committed layers, never written again
 *   state/index.json the chain under `upper` and each snapshot's chain
 *
 * Commit renames `upper` into a layer and starts an empty one: its cost does
 * not depend on the size of /data. Restore drops `upper` (cost: what changed)
 * and points the chain at the snapshot's. With no layer below, `upper` is
 * bound as is and nothing is mounted. A chain longer than MAX_LAYERS is
 * squashed into one layer of hard links (flatten-layers.ts).
 *
 * Commit and restore are logged before their first step and rolled back or
 * finished after a crash (intent-log.ts, overlay-recovery.ts); the first use
 * of a state in a process recovers it.
 */
import { randomBytes } from "node:crypto";
import { mkdir, rename } from "node:fs/promises";
import path from "node:path";

import type { SnapshotInfo } from "../../runtime.js";
import type { HostIdentity } from "../host-ids.js";
import { crashPoint } from "./crash-point.js";
import { syncFolder, syncTree } from "./durable-file.js";
import { flattenLayers } from "./flatten-layers.js";
import { IndexedState } from "./indexed-state.js";
import { forgetRecovery, type Intent, type IntentRecord, recoverOnce, writeIntent } from "./intent-log.js";
import { mountOverlay, unmount } from "./mounts.js";
import { dropUnused, type OverlayPaths, recoverOverlay, settleIntent } from "./overlay-recovery.js";
import {
  readIndex,
  readIndexForCommit,
  recordSnapshot,
  snapshotNamed,
  type StateIndex,
  withoutSnapshot,
  writeIndex,
} from "./snapshot-index.js";
import { makeStateFolders, type WritableState } from "./writable-state.js";

export const MAX_LAYERS = 8;

export class OverlayState extends IndexedState implements WritableState {
  readonly kind = "overlay";
  private readonly paths: OverlayPaths;

  constructor(
    stateDir: string,
    /** Where the overlay is mounted while a task runs. */
    merged: string,
    private readonly owner: HostIdentity,
  ) {
    super(stateDir);
    this.paths = {
      state: stateDir,
      upper: path.join(stateDir, "upper"),
      layers: path.join(stateDir, "layers"),
      merged,
      scratch: path.join(stateDir, "flatten"),
    };
  }

  init(): Promise<void> {
    return this.locked(async () => {
      await mkdir(this.paths.layers, { recursive: true, mode: 0o755 });
      const index = await readIndex(this.paths.state);
      if (index.active.layers.length === 0) await makeStateFolders(this.paths.upper, this.owner);
      else await mkdir(this.paths.upper, { recursive: true, mode: 0o755 });
      await writeIndex(this.paths.state, index);
    });
  }

  activate(): Promise<string> {
    return this.locked(async () => {
      await unmount(this.paths.merged);
      const { active } = await readIndex(this.paths.state);
      if (active.layers.length === 0) return this.paths.upper;
      const work = path.join(this.paths.state, "work");
      await mkdir(work, { recursive: true, mode: 0o700 });
      await mkdir(this.paths.merged, { recursive: true, mode: 0o755 });
      const topFirst = active.layers.map((layer) => path.join(this.paths.layers, layer)).reverse();
      await mountOverlay(this.paths.merged, topFirst, { upper: this.paths.upper, work });
      return this.paths.merged;
    });
  }

  deactivate(): Promise<void> {
    return this.locked(() => unmount(this.paths.merged));
  }

  commit(name: string): Promise<SnapshotInfo> {
    return this.locked(async () => {
      const index = await readIndexForCommit(this.paths.state, name);
      await unmount(this.paths.merged);
      const layer = newLayerId();
      const squash = index.active.layers.length + 1 > MAX_LAYERS;
      return this.change({ op: "commit", name, layer, ...(squash ? { squashed: newLayerId() } : {}) }, async (op) => {
        await rename(this.paths.upper, path.join(this.paths.layers, layer));
        await syncFolder(this.paths.layers);
        crashPoint("commit:upper-moved");
        await mkdir(this.paths.upper, { mode: 0o755 });
        await syncFolder(this.paths.state);
        crashPoint("commit:upper-made");
        let chain = [...index.active.layers, layer];
        if (op.op === "commit" && op.squashed) {
          const folders = chain.map((id) => path.join(this.paths.layers, id));
          await flattenLayers(folders, path.join(this.paths.layers, op.squashed), this.paths.scratch);
          crashPoint("commit:flattened");
          chain = [op.squashed];
        }
        const snapshot = recordSnapshot(index, name, chain, chain);
        // The layer's files must be on disk before the index that names them.
        await syncTree(path.join(this.paths.layers, chain[chain.length - 1]!));
        await this.writeCommitPoint(index, op);
        crashPoint("commit:index-written");
        return snapshot;
      });
    });
  }

  restore(name: string): Promise<void> {
    return this.locked(async () => {
      const index = await readIndex(this.paths.state);
      const snapshot = snapshotNamed(index, name);
      await unmount(this.paths.merged);
      const trash = `trash-${newLayerId()}`;
      await this.change({ op: "restore", name, trash }, async (op) => {
        await rename(this.paths.upper, path.join(this.paths.state, trash));
        crashPoint("restore:upper-moved");
        await mkdir(this.paths.upper, { mode: 0o755 });
        await syncFolder(this.paths.state);
        crashPoint("restore:upper-made");
        index.active = { layers: snapshot.layers, parent: name };
        await this.writeCommitPoint(index, op);
        crashPoint("restore:index-written");
      });
    });
  }

  /** One step: the index without the snapshot. Its layers are dropped after, or by the next recovery. */
  delete(name: string): Promise<void> {
    return this.locked(async () => {
      const index = withoutSnapshot(await readIndex(this.paths.state), name);
      await writeIndex(this.paths.state, index);
      crashPoint("delete:index-written");
      await dropUnused(this.paths, index);
    });
  }

  /**
   * Logs `intent`, runs its steps, clears the log and drops what it left
   * unused. A step that fails rolls the change back at once; if even that
   * fails, the next use of the state tries again.
   */
  private async change<T>(intent: Intent, steps: (op: IntentRecord) => Promise<T>): Promise<T> {
    const op = await writeIntent(this.paths.state, intent);
    crashPoint(`${intent.op}:intent-written`);
    let result: T;
    try {
      result = await steps(op);
    } catch (error) {
      await this.rollBack(op).catch(() => forgetRecovery(this.paths.state));
      throw error;
    }
    await settleIntent(this.paths, op, await readIndex(this.paths.state));
    crashPoint(`${intent.op}:intent-cleared`);
    await dropUnused(this.paths, await readIndex(this.paths.state));
    return result;
  }

  private async rollBack(op: IntentRecord): Promise<void> {
    await unmount(this.paths.scratch);
    await settleIntent(this.paths, op, await readIndex(this.paths.state));
  }

  private async writeCommitPoint(index: StateIndex, op: IntentRecord): Promise<void> {
    index.lastOp = op.id;
    await writeIndex(this.paths.state, index);
  }

  protected recover(): Promise<void> {
    return recoverOnce(this.paths.state, () => recoverOverlay(this.paths));
  }
}

function newLayerId(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
}
