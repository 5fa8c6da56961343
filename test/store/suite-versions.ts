import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { openStore } from "../../packages/server/src/store/index.js";
import { assertRecentDate, botWithContainer, rejectsWith, withStore } from "./harness.js";
import type { StoreTarget } from "./targets.js";

export function versionTests(target: StoreTarget): void {
  describe("snapshots and versions", () => {
    it("number a container's snapshots 1, 2, 3 and list them in order", () =>
      withStore(target, async (store) => {
        const { containerId } = await botWithContainer(store);
        const first = await store.recordSnapshotVersion({
          containerId,
          runtimeSnapshotName: "snap-1",
          parentRuntimeSnapshotName: `${containerId}-active-1`,
          snapshotter: "overlayfs",
          displayName: "before upgrade",
        });
        assert.equal(first.version.version, 1);
        assert.equal(first.version.snapshotId, first.snapshot.id);
        assert.equal(first.snapshot.source, "manual");
        assert.equal(first.snapshot.displayName, "before upgrade");
        assertRecentDate(first.snapshot.createdAt, "snapshot.createdAt");
        assertRecentDate(first.version.createdAt, "version.createdAt");
        await store.recordSnapshotVersion({
          containerId,
          runtimeSnapshotName: "snap-2",
          snapshotter: "overlayfs",
          source: "pre_exec",
        });
        await store.recordSnapshotVersion({
          containerId,
          runtimeSnapshotName: "snap-3",
          snapshotter: "overlayfs",
          source: "rollback",
        });

        const versions = await store.listVersions(containerId);
        assert.deepEqual(
          versions.map((v) => [v.version, v.runtimeSnapshotName]),
          [
            [1, "snap-1"],
            [2, "snap-2"],
            [3, "snap-3"],
          ],
        );
        assert.deepEqual(versions[0], first.version);
        assert.equal(await store.getVersionSnapshotName(containerId, 2), "snap-2");
        assert.equal(await store.getVersionSnapshotName(containerId, 4), undefined);
        const snapshots = await store.listSnapshots(containerId);
        assert.deepEqual(
          snapshots.map((s) => [s.runtimeSnapshotName, s.source, s.parentRuntimeSnapshotName]),
          [
            ["snap-1", "manual", `${containerId}-active-1`],
            ["snap-2", "pre_exec", null],
            ["snap-3", "rollback", null],
          ],
        );
        assert.deepEqual(snapshots[0], first.snapshot);
      }));

    it("upsert a snapshot recorded twice and give it a new version", () =>
      withStore(target, async (store) => {
        const { containerId } = await botWithContainer(store);
        const once = await store.recordSnapshotVersion({
          containerId,
          runtimeSnapshotName: "same",
          snapshotter: "overlayfs",
        });
        const twice = await store.recordSnapshotVersion({
          containerId,
          runtimeSnapshotName: "same",
          snapshotter: "native",
          source: "pre_exec",
        });
        assert.equal(twice.snapshot.id, once.snapshot.id);
        assert.equal(twice.snapshot.snapshotter, "native");
        assert.equal(twice.snapshot.source, "pre_exec");
        assert.equal(twice.version.version, 2);
        assert.equal((await store.listSnapshots(containerId)).length, 1);
      }));

    it("never give two concurrent calls the same version", () =>
      withStore(target, async (store) => {
        const { containerId } = await botWithContainer(store);
        const other = await botWithContainer(store, "other");
        const results = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            store.recordSnapshotVersion({
              containerId: i % 3 === 2 ? other.containerId : containerId,
              runtimeSnapshotName: `concurrent-${i}`,
              snapshotter: "overlayfs",
            }),
          ),
        );
        const mine = results.filter((r) => r.version.containerId === containerId).map((r) => r.version.version);
        assert.deepEqual(
          [...mine].sort((a, b) => a - b),
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
        assert.deepEqual(
          (await store.listVersions(other.containerId)).map((v) => v.version),
          Array.from({ length: 10 }, (_, i) => i + 1),
        );
      }));

    it(
      "never give two servers on one database the same version",
      { skip: target.name === "sqlite" ? "SQLite serves one botbox process per home" : undefined },
      () =>
        withStore(target, async (store, database) => {
          const { containerId } = await botWithContainer(store);
          const second = await openStore(database.options);
          try {
            const results = await Promise.all(
              Array.from({ length: 20 }, (_, i) =>
                (i % 2 ? second : store).recordSnapshotVersion({
                  containerId,
                  runtimeSnapshotName: `two-servers-${i}`,
                  snapshotter: "overlayfs",
                }),
              ),
            );
            assert.deepEqual(
              results.map((r) => r.version.version).sort((a, b) => a - b),
              Array.from({ length: 20 }, (_, i) => i + 1),
            );
          } finally {
            await second.close();
          }
        }),
    );

    it("keep a snapshot that a version points at (RESTRICT) until the version goes", () =>
      withStore(target, async (store) => {
        const { containerId } = await botWithContainer(store);
        await store.recordSnapshotVersion({ containerId, runtimeSnapshotName: "pinned", snapshotter: "overlayfs" });
        await rejectsWith(store.deleteSnapshot(containerId, "pinned"), "conflict", "pinned");
        assert.equal((await store.listSnapshots(containerId)).length, 1);
        assert.equal(await store.deleteVersion(containerId, 1), true);
        assert.equal(await store.deleteVersion(containerId, 1), false);
        assert.equal(await store.deleteSnapshot(containerId, "pinned"), true);
        assert.equal(await store.deleteSnapshot(containerId, "pinned"), false);
        assert.deepEqual(await store.listSnapshots(containerId), []);
      }));

    it("refuse a missing container and bad input with an error naming the field", () =>
      withStore(target, async (store) => {
        const { containerId } = await botWithContainer(store);
        const base = { containerId, runtimeSnapshotName: "s", snapshotter: "overlayfs" };
        await rejectsWith(
          store.recordSnapshotVersion({ ...base, containerId: "mcp-missing" }),
          "not_found",
          "mcp-missing",
        );
        await rejectsWith(store.recordSnapshotVersion({ ...base, source: "cron" as never }), "bad_request", "source");
        await rejectsWith(
          store.recordSnapshotVersion({ ...base, runtimeSnapshotName: "" }),
          "bad_request",
          "runtimeSnapshotName",
        );
        await rejectsWith(store.recordSnapshotVersion({ ...base, snapshotter: "a\nb" }), "bad_request", "snapshotter");
        await rejectsWith(store.getVersionSnapshotName(containerId, 0), "bad_request", "version");
        await rejectsWith(store.getVersionSnapshotName(containerId, 1.5), "bad_request", "version");
        assert.deepEqual(await store.listVersions(containerId), []);
        assert.deepEqual(await store.listSnapshots(containerId), []);
      }));
  });
}
