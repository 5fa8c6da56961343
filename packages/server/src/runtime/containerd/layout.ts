/**
 * What the containerd runtime keeps on the host, under botbox's home:
 *
 *   bots/<botId>/                  the layout of ../container-layout.ts (run/, data/, snapshots/), and
 *     etc/hosts, etc/resolv.conf   bound read-only
 *     task.log                     the task's stdout and stderr
 *     last-exit.json               how the last task ended (its task is deleted)
 *     network.json                 the CNI result of the bot's network namespace
 *     id-range.json                the bot's host uid/gid range (user namespace, id-range.ts)
 *     disk.img, disk/              with limits.diskBytes: the bot's ext4 image and its mount, holding
 *                                  data/, run/ and the writable layer's upper folder (bot-disk.ts)
 *
 * containerd holds the rest: the container record (spec, labels, token in the
 * OCI spec's env), the writable snapshot and the committed snapshots.
 */
import path from "node:path";

import { type ContainerBotPaths, containerBotPaths, snapshotKey } from "../container-layout.js";

export { snapshotDataDir, snapshotKey } from "../container-layout.js";

export interface BotPaths extends ContainerBotPaths {
  readonly etc: string;
  readonly log: string;
  readonly lastExit: string;
  readonly network: string;
  readonly idRange: string;
}

export function botPaths(home: string, botId: string): BotPaths {
  const common = containerBotPaths(home, botId);
  const { root } = common;
  return {
    ...common,
    etc: path.join(root, "etc"),
    log: path.join(root, "task.log"),
    lastExit: path.join(root, "last-exit.json"),
    network: path.join(root, "network.json"),
    idRange: path.join(root, "id-range.json"),
  };
}

/** The container's writable snapshot (its `snapshot_key`). */
export function activeSnapshotKey(containerId: string): string {
  return `botbox/active/${containerId}`;
}

/** A committed snapshot of the bot's writable state. */
export function committedSnapshotName(botId: string, name: string): string {
  return `botbox/committed/${botId}/${snapshotKey(botId, name)}`;
}
