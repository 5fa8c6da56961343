/**
 * The host folders of a container backend's bot (Docker, containerd), under
 * botbox's home; each backend's layout.ts says what else it keeps there.
 *
 *   bots/<botId>/                  root 0700
 *     run/                         bound at /run/botbox: the agent's socket
 *     data/                        bound at /data: the bot's durable files
 *     snapshots/<key>/data/        /data as it was at snapshot <name>
 */
import { createHash } from "node:crypto";
import path from "node:path";

export interface ContainerBotPaths {
  readonly root: string;
  readonly run: string;
  readonly socket: string;
  readonly data: string;
  readonly snapshots: string;
}

export function containerBotPaths(home: string, botId: string): ContainerBotPaths {
  const root = path.join(home, "bots", botId);
  return {
    root,
    run: path.join(root, "run"),
    socket: path.join(root, "run", "agent.sock"),
    data: path.join(root, "data"),
    snapshots: path.join(root, "snapshots"),
  };
}

/** Snapshot names are free text; image tags, snapshot keys and folder names are not: all use this key. */
export function snapshotKey(botId: string, name: string): string {
  return createHash("sha256").update(`${botId}\0${name}`).digest("hex").slice(0, 32);
}

export function snapshotDataDir(home: string, botId: string, name: string): string {
  return path.join(containerBotPaths(home, botId).snapshots, snapshotKey(botId, name), "data");
}
