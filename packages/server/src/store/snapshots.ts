import type { Selectable } from "kysely";

import { ConflictError } from "../errors.js";
import { readDate, type StoreContext } from "./context.js";
import { translateViolations } from "./db-errors.js";
import type { SnapshotsTable } from "./schema.js";
import { nameSchema, parseField } from "./validation.js";

export const SNAPSHOT_SOURCES = ["manual", "pre_exec", "rollback"] as const;
export type SnapshotSource = (typeof SNAPSHOT_SOURCES)[number];

/** A committed runtime snapshot botbox manages; rows are made with a version (versions.ts). */
export interface SnapshotRecord {
  id: string;
  containerId: string;
  runtimeSnapshotName: string;
  /** The active layer the snapshot was committed from. */
  parentRuntimeSnapshotName: string | null;
  snapshotter: string;
  source: SnapshotSource;
  displayName: string | null;
  createdAt: Date;
}

export interface SnapshotStore {
  /** Oldest first. */
  listSnapshots(containerId: string): Promise<SnapshotRecord[]>;
  /** ConflictError while a version still points at the snapshot (delete the version first). */
  deleteSnapshot(containerId: string, runtimeSnapshotName: string): Promise<boolean>;
}

export function toSnapshot(row: Selectable<SnapshotsTable>): SnapshotRecord {
  return {
    id: row.id,
    containerId: row.container_id,
    runtimeSnapshotName: row.runtime_snapshot_name,
    parentRuntimeSnapshotName: row.parent_runtime_snapshot_name,
    snapshotter: row.snapshotter,
    source: row.source as SnapshotSource,
    displayName: row.display_name,
    createdAt: readDate(row.created_at),
  };
}

export function createSnapshotStore(ctx: StoreContext): SnapshotStore {
  const { db } = ctx;
  return {
    async listSnapshots(containerId) {
      parseField("containerId", nameSchema, containerId);
      const rows = await db
        .selectFrom("snapshots")
        .selectAll()
        .where("container_id", "=", containerId)
        .orderBy("created_at")
        .orderBy("id")
        .execute();
      return rows.map(toSnapshot);
    },

    async deleteSnapshot(containerId, runtimeSnapshotName) {
      parseField("containerId", nameSchema, containerId);
      parseField("runtimeSnapshotName", nameSchema, runtimeSnapshotName);
      const result = await translateViolations(
        () =>
          db
            .deleteFrom("snapshots")
            .where("container_id", "=", containerId)
            .where("runtime_snapshot_name", "=", runtimeSnapshotName)
            .executeTakeFirst(),
        {
          foreign_key: (cause) =>
            new ConflictError(`snapshot ${runtimeSnapshotName} is still used by a version`, { cause }),
        },
      );
      return result.numDeletedRows > 0n;
    },
  };
}
