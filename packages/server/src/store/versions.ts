import { z } from "zod";

import { NotFoundError } from "../errors.js";
import { readDate, type StoreContext } from "./context.js";
import { newId } from "./ids.js";
import { SNAPSHOT_SOURCES, type SnapshotRecord, type SnapshotSource, toSnapshot } from "./snapshots.js";
import { displayNameSchema, nameSchema, parseField, parseInput } from "./validation.js";

/** A version gives a snapshot a per-container number. */
export interface VersionRecord {
  id: string;
  containerId: string;
  snapshotId: string;
  runtimeSnapshotName: string;
  /** 1, 2, 3… per container. */
  version: number;
  createdAt: Date;
}

export interface SnapshotVersionInput {
  containerId: string;
  runtimeSnapshotName: string;
  parentRuntimeSnapshotName?: string | null;
  snapshotter: string;
  /** Default `manual`, as the original's empty source. */
  source?: SnapshotSource;
  displayName?: string | null;
}

export interface VersionStore {
  /**
   * As the original's recordSnapshotVersion, in one transaction: upserts the snapshot
   * row and gives it the container's next version number (max + 1).
   * Concurrent calls for one container get distinct versions.
   */
  recordSnapshotVersion(input: SnapshotVersionInput): Promise<{ snapshot: SnapshotRecord; version: VersionRecord }>;
  /** Oldest version first. */
  listVersions(containerId: string): Promise<VersionRecord[]>;
  getVersionSnapshotName(containerId: string, version: number): Promise<string | undefined>;
  /**
   * Drops the number only; the snapshot row stays (and can then be deleted).
   * Deleting the highest version frees its number: the next is max + 1, as in the original.
   */
  deleteVersion(containerId: string, version: number): Promise<boolean>;
}

const inputSchema = z.strictObject({
  containerId: nameSchema,
  runtimeSnapshotName: nameSchema,
  parentRuntimeSnapshotName: nameSchema.nullable().optional(),
  snapshotter: nameSchema,
  source: z.enum(SNAPSHOT_SOURCES).optional(),
  displayName: displayNameSchema.nullable().optional(),
});
const versionSchema = z.int().positive("must be a positive integer");

export function createVersionStore(ctx: StoreContext): VersionStore {
  const { db } = ctx;
  return {
    async recordSnapshotVersion(input) {
      const s = parseInput(inputSchema, input);
      return db.transaction().execute(async (trx) => {
        // Versions are max + 1, so two transactions must not read the max at once. On
        // PostgreSQL the container's row lock serialises them (across servers too); on
        // SQLite the driver's single connection already runs one transaction at a time.
        // UNIQUE(container_id, version) stays as the backstop.
        const container = await trx
          .selectFrom("containers")
          .select("container_id")
          .where("container_id", "=", s.containerId)
          .$if(ctx.dialect === "postgres", (query) => query.forUpdate())
          .executeTakeFirst();
        if (!container) throw new NotFoundError(`container ${s.containerId} not found`);

        const now = ctx.timestamp(new Date());
        const snapshot = await trx
          .insertInto("snapshots")
          .values({
            id: newId(),
            container_id: s.containerId,
            runtime_snapshot_name: s.runtimeSnapshotName,
            parent_runtime_snapshot_name: s.parentRuntimeSnapshotName ?? null,
            snapshotter: s.snapshotter,
            source: s.source ?? "manual",
            display_name: s.displayName ?? null,
            created_at: now,
          })
          .onConflict((oc) =>
            oc.columns(["container_id", "runtime_snapshot_name"]).doUpdateSet({
              parent_runtime_snapshot_name: s.parentRuntimeSnapshotName ?? null,
              snapshotter: s.snapshotter,
              source: s.source ?? "manual",
              display_name: s.displayName,
            }),
          )
          .returningAll()
          .executeTakeFirstOrThrow();

        const { max } = await trx
          .selectFrom("container_versions")
          .select((eb) => eb.fn.max("version").as("max"))
          .where("container_id", "=", s.containerId)
          .executeTakeFirstOrThrow();
        const version = await trx
          .insertInto("container_versions")
          .values({
            id: newId(),
            container_id: s.containerId,
            snapshot_id: snapshot.id,
            version: (max ?? 0) + 1,
            created_at: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();

        const record = toSnapshot(snapshot);
        return {
          snapshot: record,
          version: {
            id: version.id,
            containerId: version.container_id,
            snapshotId: version.snapshot_id,
            runtimeSnapshotName: record.runtimeSnapshotName,
            version: version.version,
            createdAt: readDate(version.created_at),
          },
        };
      });
    },

    async listVersions(containerId) {
      parseField("containerId", nameSchema, containerId);
      const rows = await db
        .selectFrom("container_versions as v")
        .innerJoin("snapshots as s", "s.id", "v.snapshot_id")
        .select(["v.id", "v.container_id", "v.snapshot_id", "s.runtime_snapshot_name", "v.version", "v.created_at"])
        .where("v.container_id", "=", containerId)
        .orderBy("v.version")
        .execute();
      return rows.map((row) => ({
        id: row.id,
        containerId: row.container_id,
        snapshotId: row.snapshot_id,
        runtimeSnapshotName: row.runtime_snapshot_name,
        version: row.version,
        createdAt: readDate(row.created_at),
      }));
    },

    async getVersionSnapshotName(containerId, version) {
      parseField("containerId", nameSchema, containerId);
      parseField("version", versionSchema, version);
      const row = await db
        .selectFrom("container_versions as v")
        .innerJoin("snapshots as s", "s.id", "v.snapshot_id")
        .select("s.runtime_snapshot_name")
        .where("v.container_id", "=", containerId)
        .where("v.version", "=", version)
        .executeTakeFirst();
      return row?.runtime_snapshot_name;
    },

    async deleteVersion(containerId, version) {
      parseField("containerId", nameSchema, containerId);
      parseField("version", versionSchema, version);
      const result = await db
        .deleteFrom("container_versions")
        .where("container_id", "=", containerId)
        .where("version", "=", version)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
