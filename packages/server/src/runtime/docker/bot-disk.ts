/**
 * A Docker bot's hard disk quota (`limits.diskBytes`): everything the bot can
 * write lives on one ext4 file system in a sparse image of `diskBytes`
 * (state/disk-image.ts, the sandbox's own), loop-mounted on the host:
 *
 *   bots/<botId>/disk.img          the image
 *   bots/<botId>/disk/             its mount
 *     data/  run/                  bound on the host at bots/<botId>/data and run/
 *     layer/diff  layer/work       bound over the container's overlay2 upper
 *                                  and work folders in Docker's data root
 *
 * So /data, /run/botbox and the container's writable layer (/, /tmp, /root,
 * installed packages) share the one quota; past it, writes fail with ENOSPC
 * inside the bot and the host's disk is untouched.
 *
 * Why not Docker's `--storage-opt size=`: overlay2 takes it only on XFS
 * mounted with pquota (this machine's kernel has no XFS quota, and most
 * hosts' data roots are ext4), and btrfs's qgroup limit counts the image's
 * shared data and stopped being enforced once the daemon removed a container
 * (the kernel marks qgroups inconsistent). The overlay's upper folder on a
 * file system of its own works on any overlay2 daemon on this machine, and
 * `docker commit` reads it like any other.
 *
 * Needs root and a daemon on this machine with the overlay2 driver (the
 * binds go into its data root). The binds must come off before the daemon
 * removes the container, or it cannot delete its folders (EBUSY).
 */
import { execFile } from "node:child_process";
import { access, mkdir, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

import type Docker from "dockerode";

import { BadRequestError } from "../../errors.js";
import { DiskImage, MIN_DISK_BYTES } from "../sandbox/state/disk-image.js";
import { isMountPoint, unmount, unmountAllUnder } from "../sandbox/state/mounts.js";
import { dockerBotPaths } from "./layout.js";

const run = promisify(execFile);

export class DockerBotDisk {
  constructor(private readonly home: string) {}

  private image(botId: string): DiskImage {
    const root = dockerBotPaths(this.home, botId).root;
    return new DiskImage(path.join(root, "disk.img"), path.join(root, "disk"));
  }

  /** Whether the bot has a quota image (made at create, kept with keepData). */
  has(botId: string): Promise<boolean> {
    return this.image(botId).exists();
  }

  /** Makes (first time) and mounts the bot's image, and binds its data and run folders in place. */
  async mount(botId: string, diskBytes: number): Promise<void> {
    if (diskBytes < MIN_DISK_BYTES)
      throw new BadRequestError(`limits.diskBytes must be at least ${MIN_DISK_BYTES} bytes (64 MiB), got ${diskBytes}`);
    const image = this.image(botId);
    await image.create(diskBytes);
    await image.ensureMounted();
    const paths = dockerBotPaths(this.home, botId);
    for (const [inside, outside, mode] of [
      ["data", paths.data, 0o755],
      ["run", paths.run, 0o700],
    ] as const) {
      const source = path.join(image.mountPoint, inside);
      await mkdir(source, { recursive: true, mode });
      await mkdir(outside, { recursive: true, mode });
      if (!(await isMountPoint(outside))) await run("mount", ["--bind", source, outside]);
    }
  }

  /**
   * Puts the container's writable layer on the image: binds the image's
   * layer folders over the overlay2 upper and work folders. `fresh` empties
   * them first (a new container: what an older one wrote was committed or
   * is discarded); otherwise binds only what is not bound (after a reboot).
   */
  async attachLayer(botId: string, inspect: Docker.ContainerInspectInfo, fresh: boolean): Promise<void> {
    const { upper, work } = overlayFolders(inspect);
    const layer = path.join(this.image(botId).mountPoint, "layer");
    if (fresh) await rm(layer, { recursive: true, force: true });
    for (const [inside, target] of [
      ["diff", upper],
      ["work", work],
    ] as const) {
      const source = path.join(layer, inside);
      await mkdir(source, { recursive: true, mode: 0o755 });
      if (fresh || !(await isMountPoint(target))) {
        await unmount(target);
        await run("mount", ["--bind", source, target]);
      }
    }
  }

  /** Takes the layer binds off a container about to be removed. */
  async detachLayer(inspect: Docker.ContainerInspectInfo): Promise<void> {
    if (inspect.GraphDriver?.Name !== "overlay2") return;
    const { upper, work } = overlayFolders(inspect);
    await unmount(upper);
    await unmount(work);
  }

  /** Unmounts the image and its binds; the image file stays (keepData). */
  async unmountAll(botId: string): Promise<void> {
    await unmountAllUnder(dockerBotPaths(this.home, botId).root);
  }
}

function overlayFolders(inspect: Docker.ContainerInspectInfo): { upper: string; work: string } {
  // dockerode types only devicemapper's fields; overlay2 reports its folders here.
  const data = (inspect.GraphDriver?.Data ?? {}) as { UpperDir?: string; WorkDir?: string };
  const upper = data.UpperDir;
  const work = data.WorkDir;
  if (inspect.GraphDriver?.Name !== "overlay2" || !upper || !work)
    throw new BadRequestError(
      `limits.diskBytes on Docker needs the overlay2 storage driver; this daemon uses ${inspect.GraphDriver?.Name ?? "another"}`,
    );
  return { upper, work };
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
    if (await access(path.join(folder, "mkfs.ext4")).then(
      () => true,
      () => false,
    ))
      return true;
  }
  return false;
}
