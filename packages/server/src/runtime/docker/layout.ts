/**
 * What the Docker runtime keeps on the host, under botbox's home (the daemon
 * must run on the same machine: the agent's socket and /data are bind mounts):
 *
 *   bots/<botId>/                  root 0700
 *     run/                         bound at /run/botbox: the agent's socket
 *     data/                        bound at /data: the bot's durable files
 *     snapshots/<key>/data/        /data as it was at snapshot <name>
 *
 * Everything else (the spec, the token, the snapshots' container layers) lives
 * in the daemon: container labels and env, committed images.
 */
import { createHash } from "node:crypto";
import path from "node:path";

export interface DockerBotPaths {
  readonly root: string;
  readonly run: string;
  readonly socket: string;
  readonly data: string;
  readonly snapshots: string;
}

export function dockerBotPaths(home: string, botId: string): DockerBotPaths {
  const root = path.join(home, "bots", botId);
  return {
    root,
    run: path.join(root, "run"),
    socket: path.join(root, "run", "agent.sock"),
    data: path.join(root, "data"),
    snapshots: path.join(root, "snapshots"),
  };
}

/** Snapshot names are free text; tags and folder names are not: both use this key. */
export function snapshotKey(botId: string, name: string): string {
  return createHash("sha256").update(`${botId}\0${name}`).digest("hex").slice(0, 32);
}

export function snapshotDataDir(home: string, botId: string, name: string): string {
  return path.join(dockerBotPaths(home, botId).snapshots, snapshotKey(botId, name), "data");
}
