/**
 * A bot's writable state on containerd, with the overlayfs snapshotter (or
 * another): the container's active snapshot `botbox/active/<containerId>`
 * holds its root filesystem changes (/app, /root, installed packages), and
 * /data is a host folder. A botbox snapshot commits the active snapshot under
 * `botbox/committed/<botId>/<key>` (a name, no copy: cost is proportional to
 * nothing) and copies /data beside it; the container goes on from a fresh
 * active snapshot on top. Every snapshot of ours is a garbage-collection root,
 * so a writable layer outlives its container (preserve-on-delete).
 */
import { execFile } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

import { ConflictError, NotFoundError } from "../../errors.js";
import type { Info } from "../../gen/containerd/github.com/containerd/containerd/api/services/snapshots/v1/snapshots.js";
import type { Mount } from "../../gen/containerd/github.com/containerd/containerd/api/types/mount.js";
import { emptyFolder } from "../bot-disk-image.js";
import type { SnapshotInfo } from "../runtime.js";
import { SNAPSHOT_LABELS } from "../snapshot-info.js";
import type { ContainerdApi } from "./api.js";
import { activeSnapshotKey, botPaths, committedSnapshotName, snapshotDataDir } from "./layout.js";

const run = promisify(execFile);

const GC_ROOT = "containerd.io/gc.root";
const { bot: BOT, name: NAME, parent: PARENT, created: CREATED } = SNAPSHOT_LABELS;

export interface StoredSnapshot extends SnapshotInfo {
  /** The committed snapshot's name in the snapshotter. */
  key: string;
}

export class BotSnapshots {
  constructor(
    private readonly api: ContainerdApi,
    private readonly snapshotter: string,
    private readonly home: string,
    /** Runs before the active snapshot is committed: a layer kept elsewhere (bot-disk.ts) is put in place. */
    private readonly beforeCommit: (containerId: string, botId: string) => Promise<void> = async () => {},
  ) {}

  async list(botId: string): Promise<StoredSnapshot[]> {
    const prefix = `botbox/committed/${botId}/`;
    return (await this.all())
      .filter((info) => info.name.startsWith(prefix) && info.labels[BOT] === botId)
      .map((info) => ({
        key: info.name,
        name: info.labels[NAME] ?? "",
        createdAt: new Date(info.labels[CREATED] ?? info.createdAt ?? 0),
        ...(info.labels[PARENT] ? { parent: info.labels[PARENT] } : {}),
      }))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async find(botId: string, name: string): Promise<StoredSnapshot> {
    const found = (await this.list(botId)).find((snapshot) => snapshot.name === name);
    if (!found) throw new NotFoundError(`snapshot ${JSON.stringify(name)} not found for bot ${botId}`);
    return found;
  }

  async stat(key: string): Promise<Info | undefined> {
    const response = await this.api.callOrMissing<{ info: Info | undefined }>(
      `stat snapshot ${key}`,
      (md, options, done) => this.api.snapshots.stat({ snapshotter: this.snapshotter, key }, md, options, done),
    );
    return response?.info;
  }

  /** A fresh writable snapshot for the container on `parent` (an image layer or a committed snapshot). */
  async prepareActive(containerId: string, parent: string): Promise<void> {
    await this.api.call(`prepare ${activeSnapshotKey(containerId)}`, (md, options, done) =>
      this.api.snapshots.prepare(
        {
          snapshotter: this.snapshotter,
          key: activeSnapshotKey(containerId),
          parent,
          labels: { [GC_ROOT]: new Date().toISOString() },
        },
        md,
        options,
        done,
      ),
    );
  }

  async removeActive(containerId: string): Promise<void> {
    await this.remove(activeSnapshotKey(containerId));
  }

  async mounts(containerId: string): Promise<Mount[]> {
    const key = activeSnapshotKey(containerId);
    const response = await this.api.call<{ mounts: Mount[] }>(`mounts of ${key}`, (md, options, done) =>
      this.api.snapshots.mounts({ snapshotter: this.snapshotter, key }, md, options, done),
    );
    return response.mounts;
  }

  /** Whether a writable snapshot holds anything beyond its own root folder. */
  async isEmpty(key: string): Promise<boolean> {
    const usage = await this.api.call<{ inodes: number }>(`usage of ${key}`, (md, options, done) =>
      this.api.snapshots.usage({ snapshotter: this.snapshotter, key }, md, options, done),
    );
    return usage.inodes <= 1;
  }

  /**
   * Freezes the container's active snapshot as `name` with a copy of /data,
   * and prepares a fresh active snapshot on it. The task must be stopped.
   */
  async commit(containerId: string, botId: string, name: string, parent?: string): Promise<StoredSnapshot> {
    if ((await this.list(botId)).some((snapshot) => snapshot.name === name))
      throw new ConflictError(`snapshot ${JSON.stringify(name)} already exists for bot ${botId}`);
    await this.commitActive(containerId, botId, name, parent);
    const committed = await this.find(botId, name);
    await this.prepareActive(containerId, committed.key);
    return committed;
  }

  /** Commits the active snapshot as `name`, with a copy of /data; the container is left without one. */
  async commitActive(containerId: string, botId: string, name: string, parent?: string): Promise<void> {
    const dataCopy = snapshotDataDir(this.home, botId, name);
    await rm(path.dirname(dataCopy), { recursive: true, force: true });
    await copyFolder(botPaths(this.home, botId).data, dataCopy);
    try {
      await this.beforeCommit(containerId, botId);
      await this.commitLayer(containerId, botId, name, parent);
    } catch (error) {
      await rm(path.dirname(dataCopy), { recursive: true, force: true });
      throw error;
    }
  }

  private async commitLayer(containerId: string, botId: string, name: string, parent?: string): Promise<void> {
    await this.api.call(`commit snapshot ${name}`, (md, options, done) =>
      this.api.snapshots.commit(
        {
          snapshotter: this.snapshotter,
          name: committedSnapshotName(botId, name),
          key: activeSnapshotKey(containerId),
          labels: {
            [GC_ROOT]: new Date().toISOString(),
            [BOT]: botId,
            [NAME]: name,
            [PARENT]: parent ?? "",
            [CREATED]: new Date().toISOString(),
          },
        },
        md,
        options,
        done,
      ),
    );
  }

  /** Puts the snapshot's copy of /data in place of the bot's current /data. */
  async restoreData(botId: string, name: string): Promise<void> {
    const data = botPaths(this.home, botId).data;
    // Emptied, not removed: with a disk quota it is a mount point (bot-disk.ts).
    await emptyFolder(data);
    await copyFolder(snapshotDataDir(this.home, botId, name), data);
  }

  /**
   * A snapshot a writable layer (or another snapshot) still sits on cannot be
   * removed: it loses its labels instead, so it is no longer listed nor a
   * root, and the garbage collector takes it when nothing sits on it.
   */
  async delete(botId: string, name: string): Promise<void> {
    const snapshot = await this.find(botId, name);
    await this.forget(snapshot.key);
    await rm(path.dirname(snapshotDataDir(this.home, botId, name)), { recursive: true, force: true });
  }

  async deleteAll(botId: string): Promise<void> {
    for (const snapshot of (await this.list(botId)).reverse()) await this.forget(snapshot.key).catch(() => {});
  }

  private async forget(key: string): Promise<void> {
    try {
      await this.remove(key);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const info = await this.stat(key);
      if (!info) return;
      await this.api.call(`unlabel snapshot ${key}`, (md, options, done) =>
        this.api.snapshots.update(
          { snapshotter: this.snapshotter, info: { ...info, labels: {} }, updateMask: ["labels"] },
          md,
          options,
          done,
        ),
      );
    }
  }

  private remove(key: string): Promise<void> {
    return removeSnapshot(this.api, this.snapshotter, key);
  }

  private all(): Promise<Info[]> {
    return listSnapshots(this.api, this.snapshotter);
  }
}

async function copyFolder(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true, mode: 0o755 });
  await run("cp", ["-a", "--reflink=auto", `${from}/.`, to]);
}

/** Removes one snapshot of a snapshotter. */
export async function removeSnapshot(api: ContainerdApi, snapshotter: string, key: string): Promise<void> {
  await api.call(`remove snapshot ${key}`, (md, options, done) =>
    api.snapshots.remove({ snapshotter, key }, md, options, done),
  );
}

/** Every snapshot of a snapshotter (a server stream, gathered). */
export function listSnapshots(api: ContainerdApi, snapshotter: string): Promise<Info[]> {
  return new Promise((resolve, reject) => {
    const found: Info[] = [];
    const stream = api.snapshots.list({ snapshotter, filters: [] }, api.metadata());
    stream.on("data", (response: { info: Info[] }) => found.push(...response.info));
    stream.on("error", reject);
    stream.on("end", () => resolve(found));
  });
}
