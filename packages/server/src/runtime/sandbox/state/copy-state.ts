/**
 * Snapshots as full copies, for a server that is not root and so cannot mount
 * overlays: `cp -a --reflink=auto`, which is cheap only on a copy-on-write
 * file system (btrfs, XFS with reflink). doctor says so.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

import { ConflictError, NotFoundError } from "../../../errors.js";
import type { SnapshotInfo } from "../../runtime.js";
import type { HostIdentity } from "../host-ids.js";
import { checkSnapshotName, readIndex, toSnapshotInfo, writeIndex } from "./snapshot-index.js";
import { makeStateFolders, type WritableState } from "./writable-state.js";

const run = promisify(execFile);

export class CopyState implements WritableState {
  readonly kind = "copy";
  private readonly upper: string;
  private readonly copies: string;

  constructor(
    private readonly stateDir: string,
    private readonly owner: HostIdentity,
  ) {
    this.upper = path.join(stateDir, "upper");
    this.copies = path.join(stateDir, "snapshots");
  }

  async init(): Promise<void> {
    await mkdir(this.copies, { recursive: true, mode: 0o700 });
    await makeStateFolders(this.upper, this.owner);
    await writeIndex(this.stateDir, await readIndex(this.stateDir));
  }

  async activate(): Promise<string> {
    return this.upper;
  }

  async deactivate(): Promise<void> {}

  async commit(name: string): Promise<SnapshotInfo> {
    checkSnapshotName(name);
    const index = await readIndex(this.stateDir);
    if (index.snapshots.some((snapshot) => snapshot.name === name))
      throw new ConflictError(`snapshot ${JSON.stringify(name)} already exists`);
    await copyTree(this.upper, path.join(this.copies, name));
    const record = {
      name,
      ...(index.active.parent ? { parent: index.active.parent } : {}),
      layers: [name],
      createdAt: new Date().toISOString(),
    };
    index.snapshots.push(record);
    index.active = { layers: [], parent: name };
    await writeIndex(this.stateDir, index);
    return toSnapshotInfo(record);
  }

  async list(): Promise<SnapshotInfo[]> {
    return (await readIndex(this.stateDir)).snapshots.map(toSnapshotInfo);
  }

  async restore(name: string): Promise<void> {
    const index = await readIndex(this.stateDir);
    if (!index.snapshots.some((snapshot) => snapshot.name === name))
      throw new NotFoundError(`snapshot ${JSON.stringify(name)} not found`);
    const fresh = `${this.upper}.${randomBytes(4).toString("hex")}`;
    await copyTree(path.join(this.copies, name), fresh);
    const trash = `${fresh}.trash`;
    await rename(this.upper, trash);
    await rename(fresh, this.upper);
    index.active = { layers: [], parent: name };
    await writeIndex(this.stateDir, index);
    await rm(trash, { recursive: true, force: true });
  }

  async delete(name: string): Promise<void> {
    const index = await readIndex(this.stateDir);
    const remaining = index.snapshots.filter((snapshot) => snapshot.name !== name);
    if (remaining.length === index.snapshots.length)
      throw new NotFoundError(`snapshot ${JSON.stringify(name)} not found`);
    index.snapshots = remaining;
    await writeIndex(this.stateDir, index);
    await rm(path.join(this.copies, name), { recursive: true, force: true });
  }

  async parent(): Promise<string | undefined> {
    return (await readIndex(this.stateDir)).active.parent;
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
