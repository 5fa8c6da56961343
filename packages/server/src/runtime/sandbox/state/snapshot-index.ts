import path from "node:path";

import { BadRequestError, ConflictError, NotFoundError } from "../../../errors.js";
import type { SnapshotInfo } from "../../runtime.js";
import { readJsonFile } from "../json-file.js";
import { writeFileDurably } from "./durable-file.js";

export interface SnapshotRecord {
  name: string;
  parent?: string;
  /** Layer folders, bottom first (overlay), or the snapshot's copy (copy mode). */
  layers: string[];
  createdAt: string;
}

/** `state/index.json`: the snapshots and what the active state sits on. */
export interface StateIndex {
  active: { layers: string[]; parent?: string };
  snapshots: SnapshotRecord[];
  /** The change (intent-log.ts) that wrote this index: whether it reached its commit point. */
  lastOp?: string;
}

export async function readIndex(stateDir: string): Promise<StateIndex> {
  return (
    (await readJsonFile<StateIndex>(path.join(stateDir, "index.json"))) ?? { active: { layers: [] }, snapshots: [] }
  );
}

export async function writeIndex(stateDir: string, index: StateIndex): Promise<void> {
  await writeFileDurably(path.join(stateDir, "index.json"), `${JSON.stringify(index, null, 2)}\n`);
}

export async function listSnapshots(stateDir: string): Promise<SnapshotInfo[]> {
  return (await readIndex(stateDir)).snapshots.map(toSnapshotInfo);
}

export function toSnapshotInfo(record: SnapshotRecord): SnapshotInfo {
  return {
    name: record.name,
    ...(record.parent ? { parent: record.parent } : {}),
    createdAt: new Date(record.createdAt),
  };
}

export function checkSnapshotName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name))
    throw new BadRequestError(`snapshot name ${JSON.stringify(name)} must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}`);
}

/** The index, read to commit snapshot `name`: refuses a bad name or one already taken. */
export async function readIndexForCommit(stateDir: string, name: string): Promise<StateIndex> {
  checkSnapshotName(name);
  const index = await readIndex(stateDir);
  if (index.snapshots.some((snapshot) => snapshot.name === name))
    throw new ConflictError(`snapshot ${JSON.stringify(name)} already exists`);
  return index;
}

/**
 * Records snapshot `name` of `layers` in the index, a child of what the active
 * state sat on, and puts the active state on `activeLayers` under it.
 */
export function recordSnapshot(
  index: StateIndex,
  name: string,
  layers: string[],
  activeLayers: string[],
): SnapshotInfo {
  const record = {
    name,
    ...(index.active.parent ? { parent: index.active.parent } : {}),
    layers,
    createdAt: new Date().toISOString(),
  };
  index.snapshots.push(record);
  index.active = { layers: activeLayers, parent: name };
  return toSnapshotInfo(record);
}

/** Snapshot `name` of the index; NotFoundError when it has none of that name. */
export function snapshotNamed(index: StateIndex, name: string): SnapshotRecord {
  const snapshot = index.snapshots.find((candidate) => candidate.name === name);
  if (!snapshot) throw new NotFoundError(`snapshot ${JSON.stringify(name)} not found`);
  return snapshot;
}

/** The index without snapshot `name`; NotFoundError when it has none of that name. */
export function withoutSnapshot(index: StateIndex, name: string): StateIndex {
  const remaining = index.snapshots.filter((snapshot) => snapshot.name !== name);
  if (remaining.length === index.snapshots.length)
    throw new NotFoundError(`snapshot ${JSON.stringify(name)} not found`);
  return { ...index, snapshots: remaining };
}
