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
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";

import { ConflictError, NotFoundError } from "../../../errors.js";
import type { SnapshotInfo } from "../../runtime.js";
import type { HostIdentity } from "../host-ids.js";
import { flattenLayers } from "./flatten-layers.js";
import { mountOverlay, unmount } from "./mounts.js";
import { checkSnapshotName, readIndex, type StateIndex, toSnapshotInfo, writeIndex } from "./snapshot-index.js";
import { makeStateFolders, type WritableState } from "./writable-state.js";

export const MAX_LAYERS = 8;

export class OverlayState implements WritableState {
  readonly kind = "overlay";
  private readonly upper: string;
  private readonly layers: string;

  constructor(
    private readonly stateDir: string,
    /** Where the overlay is mounted while a task runs. */
    private readonly merged: string,
    private readonly owner: HostIdentity,
  ) {
    this.upper = path.join(stateDir, "upper");
    this.layers = path.join(stateDir, "layers");
  }

  async init(): Promise<void> {
    await mkdir(this.layers, { recursive: true, mode: 0o755 });
    const index = await readIndex(this.stateDir);
    if (index.active.layers.length === 0) await makeStateFolders(this.upper, this.owner);
    else await mkdir(this.upper, { recursive: true, mode: 0o755 });
    await writeIndex(this.stateDir, index);
  }

  async activate(): Promise<string> {
    await this.deactivate();
    const { active } = await readIndex(this.stateDir);
    if (active.layers.length === 0) return this.upper;
    const work = path.join(this.stateDir, "work");
    await mkdir(work, { recursive: true, mode: 0o700 });
    await mkdir(this.merged, { recursive: true, mode: 0o755 });
    const topFirst = active.layers.map((layer) => path.join(this.layers, layer)).reverse();
    await mountOverlay(this.merged, topFirst, { upper: this.upper, work });
    return this.merged;
  }

  async deactivate(): Promise<void> {
    await unmount(this.merged);
  }

  async commit(name: string): Promise<SnapshotInfo> {
    checkSnapshotName(name);
    const index = await readIndex(this.stateDir);
    if (index.snapshots.some((snapshot) => snapshot.name === name))
      throw new ConflictError(`snapshot ${JSON.stringify(name)} already exists`);
    await this.deactivate();
    const layer = newLayerId();
    await rename(this.upper, path.join(this.layers, layer));
    await mkdir(this.upper, { mode: 0o755 });
    let chain = [...index.active.layers, layer];
    if (chain.length > MAX_LAYERS) {
      const squashed = newLayerId();
      const folders = chain.map((id) => path.join(this.layers, id));
      await flattenLayers(folders, path.join(this.layers, squashed), path.join(this.stateDir, "flatten"));
      chain = [squashed];
    }
    const record = {
      name,
      ...(index.active.parent ? { parent: index.active.parent } : {}),
      layers: chain,
      createdAt: new Date().toISOString(),
    };
    index.snapshots.push(record);
    index.active = { layers: chain, parent: name };
    await this.save(index);
    return toSnapshotInfo(record);
  }

  async list(): Promise<SnapshotInfo[]> {
    return (await readIndex(this.stateDir)).snapshots.map(toSnapshotInfo);
  }

  async restore(name: string): Promise<void> {
    const index = await readIndex(this.stateDir);
    const snapshot = index.snapshots.find((candidate) => candidate.name === name);
    if (!snapshot) throw new NotFoundError(`snapshot ${JSON.stringify(name)} not found`);
    await this.deactivate();
    const trash = path.join(this.stateDir, `trash-${newLayerId()}`);
    await rename(this.upper, trash);
    await mkdir(this.upper, { mode: 0o755 });
    index.active = { layers: snapshot.layers, parent: name };
    await this.save(index);
    await rm(trash, { recursive: true, force: true });
  }

  async delete(name: string): Promise<void> {
    const index = await readIndex(this.stateDir);
    const remaining = index.snapshots.filter((snapshot) => snapshot.name !== name);
    if (remaining.length === index.snapshots.length)
      throw new NotFoundError(`snapshot ${JSON.stringify(name)} not found`);
    index.snapshots = remaining;
    await this.save(index);
  }

  async parent(): Promise<string | undefined> {
    return (await readIndex(this.stateDir)).active.parent;
  }

  /** Writes the index, then drops the layers nothing refers to any more. */
  private async save(index: StateIndex): Promise<void> {
    await writeIndex(this.stateDir, index);
    const used = new Set([...index.active.layers, ...index.snapshots.flatMap((snapshot) => snapshot.layers)]);
    for (const layer of await readdir(this.layers)) {
      if (!used.has(layer)) await rm(path.join(this.layers, layer), { recursive: true, force: true });
    }
  }
}

function newLayerId(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
}
