/**
 * User-namespace remapping: every bot's container runs in a user namespace
 * of its own, whose uids and gids 0-65535 are host ids `first`..`first+65535`,
 * a range no other bot (of any botbox home on the machine) and no host user
 * holds. Root in a bot is an unprivileged, unnamed user on the host: a file it
 * leaves on a bind mount belongs to `first`, and host files owned by root are
 * "nobody" to it.
 *
 * Ranges are claimed with an exclusive create in one machine-wide registry
 * (as the sandbox's host-ids.ts does for single uids), starting at 2^28: far
 * above the sandbox's ids (200000+) and the usual subuid ranges, and below
 * 2^31 so no tool that reads ids as signed numbers is surprised.
 *
 * The image's files belong to host root, so a copy of the image is shifted
 * once per range (`shiftOwnership`, shifted-base.ts): mounted with overlayfs `metacopy=on`, each
 * file's owner moves up by `first`, which copies up metadata only (about
 * 4 KiB per file; measured below in docs/runtimes.md), not contents. Chosen
 * over idmapped mounts because containerd 1.6 and runc 1.1 here cannot make
 * them, and over one shared range for all bots (Docker's userns-remap)
 * because a shared range would let an escaped bot read its neighbours' files.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, lchown, lstat, mkdir, mkdtemp, readdir, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

import type { Mount } from "../../gen/containerd/github.com/containerd/containerd/api/types/mount.js";

const run = promisify(execFile);

export const ID_RANGE_SIZE = 65_536;
const FIRST_ID = 2 ** 28;
const SLOTS = (2 ** 31 - FIRST_ID) / ID_RANGE_SIZE;

export interface IdRange {
  /** Host id of the bot's uid 0 and gid 0. */
  first: number;
  size: number;
}

/** Machine-wide; `BOTBOX_CONTAINERD_ID_REGISTRY` moves it. */
export function idRangeRegistry(): string {
  return process.env.BOTBOX_CONTAINERD_ID_REGISTRY ?? "/var/lib/botbox/containerd-id-ranges";
}

/** The bot's range: the one recorded in its folder (kept data), else a fresh one. */
export async function claimIdRange(recordFile: string): Promise<IdRange> {
  const recorded = await readFile(recordFile, "utf8").then(
    (text) => JSON.parse(text) as IdRange,
    () => undefined,
  );
  if (recorded) return recorded;
  const registry = idRangeRegistry();
  await mkdir(registry, { recursive: true, mode: 0o700 });
  const taken = new Set(await readdir(registry));
  await releaseStale(registry, taken);
  for (let slot = 0; slot < SLOTS; slot++) {
    if (taken.has(String(slot))) continue;
    try {
      // The owner is the bot's folder, which exists before a claim (and goes before a release).
      await writeFile(path.join(registry, String(slot)), `${path.dirname(recordFile)}\n`, { flag: "wx", mode: 0o600 });
    } catch (error) {
      // Another process took it between the listing and the create.
      if ((error as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw error;
    }
    const range = { first: FIRST_ID + slot * ID_RANGE_SIZE, size: ID_RANGE_SIZE };
    await writeFile(recordFile, JSON.stringify(range), { mode: 0o600 });
    return range;
  }
  throw new Error("no free host id range left for a new bot");
}

/**
 * Ranges whose bot folder is gone (its home was removed without deleting the
 * bot, e.g. by a test or by hand) hold no files any more: they are free.
 */
async function releaseStale(registry: string, taken: Set<string>): Promise<void> {
  for (const slot of [...taken]) {
    const entry = (await readFile(path.join(registry, slot), "utf8").catch(() => "")).trim();
    // Early entries named `<home>\t<botId>`.
    const [home, botId] = entry.split("\t");
    const owner = botId ? path.join(home!, "bots", botId) : entry;
    if (!owner.startsWith("/") || existsSync(owner)) continue;
    await rm(path.join(registry, slot), { force: true });
    taken.delete(slot);
  }
}

export async function releaseIdRange(range: IdRange): Promise<void> {
  await rm(path.join(idRangeRegistry(), String((range.first - FIRST_ID) / ID_RANGE_SIZE)), { force: true });
}

/** The OCI mappings of a bot with this range. */
export function idMappings(range: IdRange): { containerID: number; hostID: number; size: number }[] {
  return [{ containerID: 0, hostID: range.first, size: range.size }];
}

/**
 * Overlay mounts of a remapped layer need metacopy (the shifted files are
 * metadata-only copies in the upper layer) and redirect_dir, which metacopy
 * requires; other mounts pass unchanged.
 */
export function withMetacopy(mounts: Mount[]): Mount[] {
  return mounts.map((mount) =>
    mount.type === "overlay"
      ? { ...mount, options: [...mount.options.filter((o) => o !== "metacopy=on"), "metacopy=on", "redirect_dir=on"] }
      : mount,
  );
}

/** Moves every file of a fresh writable layer (over the image) into the bot's range; returns the file count. */
export async function shiftOwnership(mounts: Mount[], range: IdRange): Promise<number> {
  const target = await mkdtemp("/tmp/botbox-shift-");
  let count = 0;
  try {
    for (const mount of withMetacopy(mounts))
      await run("mount", ["-t", mount.type, mount.source, target, "-o", mount.options.join(",")]);
    const shift = async (file: string): Promise<void> => {
      const stat = await lstat(file);
      // Ids already in a range (or beyond the mapping) are left: only the image's 0-65535 move.
      if (stat.uid < range.size || stat.gid < range.size) {
        await lchown(
          file,
          stat.uid < range.size ? stat.uid + range.first : stat.uid,
          stat.gid < range.size ? stat.gid + range.first : stat.gid,
        );
        // chown clears setuid and setgid (e.g. su, passwd): they are given back, now for the bot's ids.
        if (stat.isFile() && (stat.mode & 0o6000) !== 0) await chmod(file, stat.mode & 0o7777);
      }
      count++;
      // One at a time: concurrent copy-ups in one overlay directory were seen to lose entries (ENOENT).
      if (stat.isDirectory()) for (const entry of await readdir(file)) await shift(path.join(file, entry));
    };
    await shift(target);
  } finally {
    await run("umount", [target]).catch(() => {});
    await rmdir(target).catch(() => {});
  }
  return count;
}
