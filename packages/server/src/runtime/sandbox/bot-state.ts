/**
 * Where a sandbox bot's writable state lives: overlay layers where the
 * kernel has overlayfs and the server is root (cheap snapshots), else plain
 * copies; on a bot with a disk quota, both on its own loop-mounted image.
 */
import { readFile } from "node:fs/promises";

import type { ContainerRecord } from "./container-store.js";
import { runningAsRoot } from "./host-ids.js";
import { botPaths } from "./layout.js";
import { CopyState } from "./state/copy-state.js";
import { DiskImage } from "./state/disk-image.js";
import { OverlayState } from "./state/overlay-state.js";
import type { WritableState } from "./state/writable-state.js";

export class BotStates {
  private overlay?: Promise<boolean>;

  constructor(private readonly home: string) {}

  /** The bot's writable state, its quota's file system mounted first. */
  async of(record: ContainerRecord): Promise<WritableState> {
    const paths = botPaths(this.home, record.spec.botId);
    // A quota's file system stays mounted from creation to deletion; mount it again after a host restart.
    const disk = this.disk(record.spec.botId);
    if (await disk.exists()) await disk.ensureMounted();
    this.overlay ??= overlayUsable();
    return (await this.overlay)
      ? new OverlayState(paths.state, paths.merged, record.identity)
      : new CopyState(paths.state, record.identity);
  }

  /** The bot's disk quota image (which may not exist: a bot without a quota). */
  disk(botId: string): DiskImage {
    const paths = botPaths(this.home, botId);
    return new DiskImage(paths.disk, paths.state);
  }
}

async function overlayUsable(): Promise<boolean> {
  const filesystems = await readFile("/proc/filesystems", "utf8").catch(() => "");
  return runningAsRoot() && /\boverlay$/m.test(filesystems);
}
