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
import { access, mkdir, readdir, rm, stat, truncate } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

import { BadRequestError } from "../errors.js";
import { DiskImage, MIN_DISK_BYTES } from "./sandbox/state/disk-image.js";
import { isMountPoint, unmount } from "./sandbox/state/mounts.js";

const run = promisify(execFile);

/** The image of a bot whose folder is `botRoot`: `disk.img`, mounted at `disk/`. */
export function botDiskImage(botRoot: string): DiskImage {
  return new DiskImage(path.join(botRoot, "disk.img"), path.join(botRoot, "disk"));
}

/**
 * Makes (first time) and mounts the bot's image, and binds its `data/` and
 * `run/` at the host folders the container's spec binds. Idempotent: a
 * server start (or a start after a reboot) finds what is mounted already.
 * An unmounted image of another size (the bot's quota changed while its
 * data was kept) is resized first. Files in the bot's `data` folder under
 * the bind point move onto the image: a bot given a quota after it ran
 * without one, or such a move cut short by a crash (it is done again).
 */
export async function mountBotDisk(
  image: DiskImage,
  diskBytes: number,
  folders: { data: string; run: string },
): Promise<void> {
  if (diskBytes < MIN_DISK_BYTES)
    throw new BadRequestError(`limits.diskBytes must be at least ${MIN_DISK_BYTES} bytes (64 MiB), got ${diskBytes}`);
  const fresh = !(await image.exists());
  if (fresh) await image.create(diskBytes);
  else if (!(await isMountPoint(image.mountPoint))) await resize(image, diskBytes);
  await image.ensureMounted();
  for (const [inside, outside, mode] of [
    ["data", folders.data, 0o755],
    ["run", folders.run, 0o700],
  ] as const) {
    const source = path.join(image.mountPoint, inside);
    await mkdir(source, { recursive: true, mode });
    await mkdir(outside, { recursive: true, mode });
    if (await isMountPoint(outside)) continue;
    if (inside === "data") await moveInto(image, outside, source, fresh);
    await run("mount", ["--bind", source, outside]);
  }
}

/**
 * Moves a folder's files onto the image (copied, then removed: a crash in
 * between only means copying again). If they do not fit, the folder is left
 * whole, and an image made for them goes.
 */
async function moveInto(image: DiskImage, from: string, to: string, fresh: boolean): Promise<void> {
  if ((await readdir(from)).length === 0) return;
  try {
    await run("cp", ["-a", `${from}/.`, to]);
  } catch (error) {
    await unmount(image.mountPoint);
    if (fresh) await rm(image.imagePath, { force: true });
    throw new BadRequestError(
      `limits.disk_bytes: the bot's /data does not fit in the quota (${(error as { stderr?: string }).stderr?.trim() ?? String(error)})`,
    );
  }
  await emptyFolder(from);
}

/**
 * Gives an unmounted image the quota's size: ext4 grows in place; it
 * shrinks only if what the bot keeps fits (otherwise a 400 says so).
 */
async function resize(image: DiskImage, diskBytes: number): Promise<void> {
  const wanted = Math.floor(diskBytes / 4096) * 4096;
  const current = (await stat(image.imagePath)).size;
  if (current === wanted) return;
  // resize2fs wants a freshly checked file system; e2fsck -p exits 1 when it fixed something.
  await run("e2fsck", ["-f", "-p", image.imagePath]).catch((error: { code?: number }) => {
    if (error.code !== 1) throw error;
  });
  if (wanted > current) {
    await truncate(image.imagePath, wanted);
    await run("resize2fs", ["-f", image.imagePath]);
    return;
  }
  try {
    await run("resize2fs", [image.imagePath, `${wanted / 1024}K`]);
  } catch (error) {
    throw new BadRequestError(
      `limits.disk_bytes: ${diskBytes} bytes is less than the bot keeps on its disk (${(error as { stderr?: string }).stderr?.trim() ?? String(error)})`,
    );
  }
  await truncate(image.imagePath, wanted);
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
