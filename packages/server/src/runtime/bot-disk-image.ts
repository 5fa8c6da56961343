/**
 * The per-bot disk image the container backends share (Docker's and
 * containerd's `limits.diskBytes`): one sparse ext4 image of `diskBytes`
 * (sandbox/state/disk-image.ts, the sandbox's own), loop-mounted in the
 * bot's folder, whose `data/` and `run/` are bound on the host where the
 * backend's spec binds /data and /run/botbox from:
 *
 *   <botRoot>/disk.img             the image
 *   <botRoot>/disk/                its mount
 *     data/  run/                  bound at <botRoot>/data and run/ (or the backend's paths)
 *     ...                          the backend's writable layer (docker/bot-disk.ts, containerd/bot-disk.ts)
 *
 * Each backend puts its container's writable layer on the same file system,
 * so /data, /run/botbox and / share the one quota; past it, writes fail with
 * ENOSPC inside the bot and the host's disk is untouched.
 */
import { execFile } from "node:child_process";
import { access, mkdir, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

import { BadRequestError } from "../errors.js";
import { DiskImage, MIN_DISK_BYTES } from "./sandbox/state/disk-image.js";
import { isMountPoint } from "./sandbox/state/mounts.js";

const run = promisify(execFile);

/** The image of a bot whose folder is `botRoot`: `disk.img`, mounted at `disk/`. */
export function botDiskImage(botRoot: string): DiskImage {
  return new DiskImage(path.join(botRoot, "disk.img"), path.join(botRoot, "disk"));
}

/**
 * Makes (first time) and mounts the bot's image, and binds its `data/` and
 * `run/` at the host folders the container's spec binds. Idempotent: a
 * server start (or a start after a reboot) finds what is mounted already.
 */
export async function mountBotDisk(
  image: DiskImage,
  diskBytes: number,
  folders: { data: string; run: string },
): Promise<void> {
  if (diskBytes < MIN_DISK_BYTES)
    throw new BadRequestError(`limits.diskBytes must be at least ${MIN_DISK_BYTES} bytes (64 MiB), got ${diskBytes}`);
  await image.create(diskBytes);
  await image.ensureMounted();
  for (const [inside, outside, mode] of [
    ["data", folders.data, 0o755],
    ["run", folders.run, 0o700],
  ] as const) {
    const source = path.join(image.mountPoint, inside);
    await mkdir(source, { recursive: true, mode });
    await mkdir(outside, { recursive: true, mode });
    if (!(await isMountPoint(outside))) await run("mount", ["--bind", source, outside]);
  }
}

/** Empties a folder without removing it: it may be a mount point. */
export async function emptyFolder(folder: string): Promise<void> {
  const entries = await readdir(folder).catch(() => [] as string[]);
  await Promise.all(entries.map((entry) => rm(path.join(folder, entry), { recursive: true, force: true })));
}

/** Whether `mkfs.ext4` and `mount` can run: root, and e2fsprogs installed. */
export async function canMountDiskImages(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  for (const folder of ["/usr/sbin", "/sbin", "/usr/bin"]) {
    if (
      await access(path.join(folder, "mkfs.ext4")).then(
        () => true,
        () => false,
      )
    )
      return true;
  }
  return false;
}
