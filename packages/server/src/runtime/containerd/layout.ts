/**
 * What the containerd runtime keeps on the host, under botbox's home:
 *
 *   bots/<botId>/                  root 0700
 *     run/                         bound at /run/botbox: the agent's socket
 *     data/                        bound at /data: the bot's durable files
 *     etc/hosts, etc/resolv.conf   bound read-only
 *     snapshots/<key>/data/        /data as it was at snapshot <name>
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
import { createHash } from "node:crypto";
import path from "node:path";

export interface BotPaths {
  readonly root: string;
  readonly run: string;
  readonly socket: string;
  readonly data: string;
  readonly etc: string;
  readonly snapshots: string;
  readonly log: string;
  readonly lastExit: string;
  readonly network: string;
  readonly idRange: string;
}

export function botPaths(home: string, botId: string): BotPaths {
  const root = path.join(home, "bots", botId);
  return {
    root,
    run: path.join(root, "run"),
    socket: path.join(root, "run", "agent.sock"),
    data: path.join(root, "data"),
    etc: path.join(root, "etc"),
    snapshots: path.join(root, "snapshots"),
    log: path.join(root, "task.log"),
    lastExit: path.join(root, "last-exit.json"),
    network: path.join(root, "network.json"),
    idRange: path.join(root, "id-range.json"),
  };
}

/** Snapshot names are free text; snapshot keys and folder names are not: both use this key. */
export function snapshotKey(botId: string, name: string): string {
  return createHash("sha256").update(`${botId}\0${name}`).digest("hex").slice(0, 32);
}

export function snapshotDataDir(home: string, botId: string, name: string): string {
  return path.join(botPaths(home, botId).snapshots, snapshotKey(botId, name), "data");
}

/** The container's writable snapshot (its `snapshot_key`). */
export function activeSnapshotKey(containerId: string): string {
  return `botbox/active/${containerId}`;
}

/** A committed snapshot of the bot's writable state. */
export function committedSnapshotName(botId: string, name: string): string {
  return `botbox/committed/${botId}/${snapshotKey(botId, name)}`;
}
