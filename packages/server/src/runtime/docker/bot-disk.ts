/**
 * A Docker bot's hard disk quota (`limits.diskBytes`): everything the bot can
 * write lives on one ext4 file system in a sparse image of `diskBytes`
 * (bot-disk-image.ts, shared with containerd), loop-mounted on the host:
 *
 *   bots/<botId>/disk.img          the image
 *   bots/<botId>/disk/             its mount
 *     data/  run/                  bound on the host at bots/<botId>/data and run/
 *     layer/                       bound over the container's overlay2 folder
 *                                  (its upper `diff` and `work`) in Docker's data root
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
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

import type Docker from "dockerode";

import { BadRequestError } from "../../errors.js";
import { ContainerBotDisk } from "../container-bot-disk.js";
import { isMountPoint, unmount } from "../sandbox/state/mounts.js";

// Shared with containerd (bot-disk-image.ts); the Docker files import them from here.
export { canMountDiskImages, emptyFolder } from "../bot-disk-image.js";

const run = promisify(execFile);

export class DockerBotDisk extends ContainerBotDisk {
  /** Whether the bot has a quota image (made at create, kept with keepData). */
  has(botId: string): Promise<boolean> {
    return this.image(botId).exists();
  }

  /**
   * Puts the container's writable layer on the image: binds the image's
   * `layer/` over the container's overlay2 folder (upper and work must be
   * under one mount, so the whole folder, with Docker's `link` and `lower`
   * files copied in). `fresh` starts it over from Docker's new folder (a new
   * container: what an older one wrote was committed or is discarded);
   * otherwise it binds only what is not bound (after a reboot).
   */
  async attachLayer(botId: string, inspect: Docker.ContainerInspectInfo, fresh: boolean): Promise<void> {
    const folder = overlayFolder(inspect);
    const layer = path.join(this.image(botId).mountPoint, "layer");
    if (fresh) {
      await unmount(folder);
      await rm(layer, { recursive: true, force: true });
      await mkdir(layer, { mode: 0o700 });
      await run("cp", ["-a", `${folder}/.`, layer]);
    } else if (await isMountPoint(folder)) return;
    await run("mount", ["--bind", layer, folder]);
  }

  /** Takes the layer bind off a container about to be removed. */
  async detachLayer(inspect: Docker.ContainerInspectInfo): Promise<void> {
    if (inspect.GraphDriver?.Name !== "overlay2") return;
    await unmount(overlayFolder(inspect));
  }
}

/** The container's overlay2 folder in the data root: the parent of its `diff` (upper) and `work`. */
function overlayFolder(inspect: Docker.ContainerInspectInfo): string {
  // dockerode types only devicemapper's fields; overlay2 reports its folders here.
  const data = (inspect.GraphDriver?.Data ?? {}) as { UpperDir?: string; WorkDir?: string };
  const upper = data.UpperDir;
  if (inspect.GraphDriver?.Name !== "overlay2" || !upper || path.dirname(upper) !== path.dirname(data.WorkDir ?? ""))
    throw new BadRequestError(
      `limits.diskBytes on Docker needs the overlay2 storage driver; this daemon uses ${inspect.GraphDriver?.Name ?? "another"}`,
    );
  return path.dirname(upper);
}
