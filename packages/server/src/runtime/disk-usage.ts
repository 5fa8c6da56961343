/**
 * What a bot's disk quota holds: the ext4 file system of its disk image
 * (bot-disk-image.ts, the sandbox's state/disk-image.ts), read with one
 * statfs, as `df` does. Cheap enough for every scrape, where walking the
 * bot's files (`du`) or Docker's `system df` is not. A bot without a quota
 * has no file system of its own, and reports nothing rather than the
 * host's disk.
 */
import { statfsSync, statSync } from "node:fs";
import path from "node:path";

export interface DiskUsage {
  /** Bytes in use on the bot's file system, its ext4 structures included (what `df` shows as used). */
  diskUsedBytes?: number;
  /** The file system's size: the bot's quota less what ext4 keeps for itself. */
  diskSizeBytes?: number;
}

/** The use of the file system mounted at `mountPoint`; empty when none is mounted there. */
export function diskUsageAt(mountPoint: string): DiskUsage {
  try {
    // Nothing mounted: statfs would describe the file system of the folder's parent.
    if (statSync(mountPoint).dev === statSync(path.dirname(mountPoint)).dev) return {};
    const { blocks, bfree, bsize } = statfsSync(mountPoint);
    return { diskUsedBytes: (blocks - bfree) * bsize, diskSizeBytes: blocks * bsize };
  } catch {
    return {}; // Not made yet, or unmounted meanwhile.
  }
}

/** A running task's info with its disk's use added, when the bot has a disk of its own (`mountPoint`). */
export function withDiskUsage<T extends { state: string }>(info: T, mountPoint: string | undefined): T & DiskUsage {
  if (info.state !== "running" || mountPoint === undefined) return info;
  return { ...info, ...diskUsageAt(mountPoint) };
}
