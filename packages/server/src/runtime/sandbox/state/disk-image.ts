/**
 * A bot's hard disk quota: its writable state (the `state/` folder: /data,
 * /app, /tmp, /root, /home and the snapshot layers) lives on an ext4 file
 * system in a sparse image file of `diskBytes`, loop-mounted at `state/`.
 * Past it, writes fail with ENOSPC inside the bot, and the host's disk and
 * other bots are untouched. Chosen because the sandbox's home is often on a
 * file system without project quotas (plain ext4 here); the image costs
 * nothing until written (about 4 MB of metadata at first) and is mounted
 * with `discard`, so deleted files give their space back to the host.
 *
 * Needs root (mount). The mount outlives the server, like the bot's tasks;
 * `ensureMounted` is idempotent, so any server start finds it again.
 */
import { execFile } from "node:child_process";
import { access, mkdir, rename, rm, truncate, writeFile } from "node:fs/promises";
import { promisify } from "node:util";

import { isMountPoint, unmount } from "./mounts.js";

const run = promisify(execFile);

/** ext4 needs room for its own structures; smaller quotas are refused. */
export const MIN_DISK_BYTES = 64 * 2 ** 20;

export class DiskImage {
  constructor(
    readonly imagePath: string,
    readonly mountPoint: string,
  ) {}

  async exists(): Promise<boolean> {
    return access(this.imagePath).then(
      () => true,
      () => false,
    );
  }

  /** Makes the image (sparse, formatted in a temporary file, then renamed into place). */
  async create(bytes: number): Promise<void> {
    if (await this.exists()) return;
    const temporary = `${this.imagePath}.new`;
    await writeFile(temporary, "", { mode: 0o600 });
    try {
      await truncate(temporary, Math.floor(bytes / 4096) * 4096);
      // -m 0: no blocks held back for root; lazy init: nothing written up front.
      await run("mkfs.ext4", [
        "-q",
        "-F",
        "-m",
        "0",
        "-E",
        "lazy_itable_init=1,lazy_journal_init=1,nodiscard",
        temporary,
      ]);
      await rename(temporary, this.imagePath);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  async ensureMounted(): Promise<void> {
    if (await isMountPoint(this.mountPoint)) return;
    await mkdir(this.mountPoint, { recursive: true, mode: 0o755 });
    await run("mount", ["-o", "loop,nosuid,nodev,discard", this.imagePath, this.mountPoint]);
  }

  unmount(): Promise<void> {
    return unmount(this.mountPoint);
  }
}
