import path from "node:path";

import { NotFoundError } from "../../../errors.js";
import { BadRequestError } from "../../../errors.js";
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

/** The index without snapshot `name`; NotFoundError when it has none of that name. */
export function withoutSnapshot(index: StateIndex, name: string): StateIndex {
  const remaining = index.snapshots.filter((snapshot) => snapshot.name !== name);
  if (remaining.length === index.snapshots.length)
    throw new NotFoundError(`snapshot ${JSON.stringify(name)} not found`);
  return { ...index, snapshots: remaining };
}
