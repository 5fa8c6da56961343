/**
 * A containerd bot's hard disk quota (`limits.diskBytes`): the bot's ext4
 * image (bot-disk-image.ts, shared with Docker) holds /data, /run/botbox and
 * the upper and work folders of the container's writable overlay:
 *
 *   bots/<botId>/disk.img          the image
 *   bots/<botId>/disk/             its mount
 *     data/  run/                  bound at bots/<botId>/data and run/
 *     layer/upper/  layer/work/    the task's overlay upperdir and workdir
 *     layer/snapshot               the snapshotter folder the layer stands in for
 *
 * The task's rootfs mounts (the active snapshot's overlay) are rewritten so
 * that `upperdir` and `workdir` point into the image instead of the
 * snapshotter's `snapshots/<n>/fs` and `work`: everything the bot writes in
 * /, /tmp or /root lands on the image. Chosen over binding the image over the
 * snapshot's folder (Docker's road) because nothing is mounted inside
 * containerd's root, so a snapshot removal never meets a busy mount, and a
 * server or host restart only has to mount the image again.
 *
 * The snapshotter's own folder stays empty while the bot runs; before a
 * commit (a botbox snapshot, or a layer recovered at create) the layer is
 * copied into it (`flush`), so the committed snapshot holds the bot's files
 * after the image is gone. A layer whose `snapshot` record names another
 * folder belongs to an active snapshot that was replaced (committed, or
 * dropped by a restore): it is emptied when the new one is first mounted.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

import { BadRequestError } from "../../errors.js";
import type { Mount } from "../../gen/containerd/github.com/containerd/containerd/api/types/mount.js";
import { emptyFolder } from "../bot-disk-image.js";
import { ContainerBotDisk } from "../container-bot-disk.js";
import { unmount } from "../sandbox/state/mounts.js";
import { botPaths } from "./layout.js";

const run = promisify(execFile);

export class ContainerdBotDisk extends ContainerBotDisk {
  /**
   * The active snapshot's mounts with its upper and work folders on the
   * image (mounted first). A layer left by another active snapshot is
   * replaced by what the snapshotter's folder holds (empty for a new
   * snapshot; a layer written before the bot had a quota moves in), with
   * that folder's owner and mode: containerd gives a snapshot's upper its
   * parent's owner, which for a remapped bot is its range's root. The
   * snapshotter's folder is emptied once its files are on the image, so
   * the host does not hold them twice.
   */
  async layerMounts(botId: string, mounts: Mount[]): Promise<Mount[]> {
    const overlay = overlayOf(mounts);
    const real = overlayFolders(overlay);
    const layer = this.layer(botId);
    if ((await readFile(layer.record, "utf8").catch(() => "")) !== real.upper) {
      await mkdir(layer.root, { recursive: true, mode: 0o700 });
      for (const folder of [layer.upper, layer.work]) {
        await mkdir(folder, { recursive: true, mode: 0o755 });
        await emptyFolder(folder);
      }
      try {
        await run("cp", ["-a", `${real.upper}/.`, layer.upper]);
      } catch (error) {
        await emptyFolder(layer.upper);
        throw new BadRequestError(
          `limits.disk_bytes: the bot's writable layer does not fit in the quota (${(error as { stderr?: string }).stderr?.trim() ?? String(error)})`,
        );
      }
      const owner = await stat(real.upper);
      await chown(layer.upper, owner.uid, owner.gid);
      await chmod(layer.upper, owner.mode & 0o7777);
      await writeFile(layer.record, real.upper, { mode: 0o600 });
    }
    await this.trim(botId, mounts);
    return mounts.map((mount) =>
      mount === overlay
        ? {
            ...mount,
            options: mount.options.map((option) =>
              option.startsWith("upperdir=")
                ? `upperdir=${layer.upper}`
                : option.startsWith("workdir=")
                  ? `workdir=${layer.work}`
                  : option,
            ),
          }
        : mount,
    );
  }

  /**
   * Before the active snapshot is committed (its task stopped): the layer
   * the bot wrote on the image replaces the snapshotter's upper folder, so
   * the committed snapshot holds it. The folder is emptied first, so a file
   * the bot removed since an interrupted flush does not come back. Nothing
   * to do when the layer is not this snapshot's.
   */
  async flush(botId: string, mounts: Mount[]): Promise<void> {
    const image = this.image(botId);
    if (!(await image.exists())) return;
    await image.ensureMounted();
    const real = overlayFolders(overlayOf(mounts));
    const layer = this.layer(botId);
    if ((await readFile(layer.record, "utf8").catch(() => "")) !== real.upper) return;
    await emptyFolder(real.upper);
    // -a keeps owners, modes, xattrs (overlay's opaque, redirect and metacopy marks) and whiteouts (0/0 devices).
    await run("cp", ["-a", `${layer.upper}/.`, real.upper]);
  }

  /** Empties the snapshotter's upper folder when the image holds its layer (a copy left by a flush). */
  async trim(botId: string, mounts: Mount[]): Promise<void> {
    const real = overlayFolders(overlayOf(mounts));
    if ((await readFile(this.layer(botId).record, "utf8").catch(() => "")) === real.upper)
      await emptyFolder(real.upper);
  }

  /**
   * Takes a bot off its quota (its container is made again without one):
   * the layer goes back to the snapshotter's folder (`flush`, when there is
   * an active snapshot), /data back to the host folder, and the image goes.
   */
  async release(botId: string, mounts: Mount[] | undefined): Promise<void> {
    const image = this.image(botId);
    if (!(await image.exists())) return;
    await image.ensureMounted();
    if (mounts) await this.flush(botId, mounts);
    const data = botPaths(this.home, botId).data;
    await unmount(data);
    await mkdir(data, { recursive: true, mode: 0o755 });
    await emptyFolder(data);
    const kept = path.join(image.mountPoint, "data");
    if (existsSync(kept)) await run("cp", ["-a", `${kept}/.`, data]);
    await this.unmountAll(botId);
    await rm(image.imagePath, { force: true });
    await rm(image.mountPoint, { recursive: true, force: true });
  }

  private layer(botId: string) {
    const root = path.join(this.image(botId).mountPoint, "layer");
    return {
      root,
      upper: path.join(root, "upper"),
      work: path.join(root, "work"),
      record: path.join(root, "snapshot"),
    };
  }
}

function overlayOf(mounts: Mount[]): Mount {
  const overlay = mounts.find(
    (mount) => mount.type === "overlay" && mount.options.some((option) => option.startsWith("upperdir=")),
  );
  if (!overlay)
    throw new BadRequestError(
      "limits.disk_bytes on containerd needs the overlayfs snapshotter: the writable snapshot is not an overlay",
    );
  return overlay;
}

function overlayFolders(overlay: Mount): { upper: string; work: string } {
  const value = (key: string) => overlay.options.find((option) => option.startsWith(`${key}=`))?.slice(key.length + 1);
  const upper = value("upperdir");
  const work = value("workdir");
  if (!upper || !work) throw new Error("the writable snapshot's overlay has no upperdir or workdir");
  return { upper, work };
}

/**
 * Whether this server can enforce `limits.diskBytes` on containerd, and if
 * not, what is missing: root (mount), mkfs.ext4 (e2fsprogs), loop devices,
 * and the overlayfs snapshotter (whose upper folder is rewritten).
 */
export function diskQuotaSupport(snapshotter: string): { ok: boolean; detail: string } {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push("the server to run as root (it loop-mounts an ext4 image per bot)");
  if (!["/usr/sbin", "/sbin", "/usr/bin"].some((folder) => existsSync(path.join(folder, "mkfs.ext4"))))
    missing.push("mkfs.ext4 (apt-get install e2fsprogs)");
  if (!existsSync("/dev/loop-control")) missing.push("loop devices (/dev/loop-control; modprobe loop)");
  if (snapshotter !== "overlayfs")
    missing.push(`the overlayfs snapshotter ([containerd] snapshotter is ${snapshotter})`);
  return missing.length === 0
    ? {
        ok: true,
        detail:
          "limits.disk_bytes enforced: a loop-mounted ext4 image per bot holds /data, /run/botbox and the writable layer's upper folder (ENOSPC past it)",
      }
    : { ok: false, detail: `limits.disk_bytes cannot be enforced on containerd here: needs ${missing.join(", ")}` };
}
