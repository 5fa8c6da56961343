import { botDiskImage, mountBotDisk } from "./bot-disk-image.js";
import { containerBotPaths } from "./container-layout.js";
import type { DiskImage } from "./sandbox/state/disk-image.js";
import { unmountAllUnder } from "./sandbox/state/mounts.js";

/**
 * What Docker's and containerd's bot disks (docker/bot-disk.ts,
 * containerd/bot-disk.ts) do alike: the bot's image in its folder of
 * container-layout.ts, mounted with /data and /run/botbox on it. Each
 * backend adds how its container's writable layer lands on the image.
 */
export class ContainerBotDisk {
  constructor(protected readonly home: string) {}

  /** Where the bot's disk is mounted while it has one (its use: disk-usage.ts). */
  mountPoint(botId: string): string {
    return this.image(botId).mountPoint;
  }

  protected image(botId: string): DiskImage {
    return botDiskImage(containerBotPaths(this.home, botId).root);
  }

  /** Makes (first time) and mounts the bot's image, and binds its data and run folders in place. */
  async mount(botId: string, diskBytes: number): Promise<void> {
    const paths = containerBotPaths(this.home, botId);
    await mountBotDisk(this.image(botId), diskBytes, { data: paths.data, run: paths.run });
  }

  /** Unmounts the image and its binds; the image file stays (keepData). */
  async unmountAll(botId: string): Promise<void> {
    await unmountAllUnder(containerBotPaths(this.home, botId).root);
  }
}
