/**
 * The image, owned by a bot's id range: a committed snapshot on the image's
 * top layer in which every file of the image belongs to the range
 * (id-range.ts, `shiftOwnership`). A bot's writable layer sits on it. It is
 * made once per range and image and kept when the range is released, so the
 * next bot given that range starts at once: no bot ever writes into it (its
 * own changes go to its writable layer above), so it holds nothing of the
 * bot before. Removed with the image (`removeOn`).
 */
import { createHash } from "node:crypto";

import type { Info } from "../../gen/containerd/github.com/containerd/containerd/api/services/snapshots/v1/snapshots.js";
import type { Mount } from "../../gen/containerd/github.com/containerd/containerd/api/types/mount.js";
import type { ContainerdApi } from "./api.js";
import { type IdRange, shiftOwnership } from "./id-range.js";
import { listSnapshots, removeSnapshot } from "./snapshots.js";

const GC_ROOT = "containerd.io/gc.root";
const SHIFTED = "org.botbox.shifted";

export class ShiftedBases {
  constructor(
    private readonly api: ContainerdApi,
    private readonly snapshotter: string,
  ) {}

  /** The committed snapshot of `imageTop` shifted into `range`, made when missing. */
  async ensure(imageTop: string, range: IdRange): Promise<string> {
    const name = `botbox/shifted/${range.first}/${createHash("sha256").update(imageTop).digest("hex").slice(0, 32)}`;
    if (await this.stat(name)) return name;
    const work = `${name}/work`;
    // A half-shifted leftover of a crash is started again.
    await this.remove(work).catch(() => {});
    const { mounts } = await this.api.call<{ mounts: Mount[] }>(`prepare ${work}`, (md, options, done) =>
      this.api.snapshots.prepare(
        { snapshotter: this.snapshotter, key: work, parent: imageTop, labels: { [GC_ROOT]: new Date().toISOString() } },
        md,
        options,
        done,
      ),
    );
    try {
      await shiftOwnership(mounts, range);
      await this.api.call(`commit ${name}`, (md, options, done) =>
        this.api.snapshots.commit(
          {
            snapshotter: this.snapshotter,
            name,
            key: work,
            labels: { [GC_ROOT]: new Date().toISOString(), [SHIFTED]: imageTop },
          },
          md,
          options,
          done,
        ),
      );
    } catch (error) {
      await this.remove(work).catch(() => {});
      throw error;
    }
    return name;
  }

  /** Removes the shifted copies of an image; those a bot's layer still sits on stay until it goes. */
  async removeOn(imageTop: string): Promise<void> {
    for (const info of await this.all())
      if (info.labels[SHIFTED] === imageTop) await this.remove(info.name).catch(() => {});
  }

  private async stat(key: string): Promise<Info | undefined> {
    const response = await this.api.callOrMissing<{ info: Info | undefined }>(
      `stat snapshot ${key}`,
      (md, options, done) => this.api.snapshots.stat({ snapshotter: this.snapshotter, key }, md, options, done),
    );
    return response?.info;
  }

  private remove(key: string): Promise<void> {
    return removeSnapshot(this.api, this.snapshotter, key);
  }

  private all(): Promise<Info[]> {
    return listSnapshots(this.api, this.snapshotter);
  }
}
