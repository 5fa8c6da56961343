/**
 * Where the sandbox runtime keeps things under botbox's home:
 *
 *   images/<ref, URI-encoded>/   image.json, and etc/ (default image) or rootfs/
 *   opt/                         the agent bundle, node and templates, staged
 *   host-ids/<uid>               one file per host uid handed to a bot
 *   bots/<botId>/                root:<bot gid> 0710: only root and that bot get in
 *     container.json             the record, token included (0600)
 *     owner.json                 the bot's host uid/gid (kept with keepData)
 *     task.json, status.json     the running task, and bwrap's exit report
 *     agent.log                  the agent's stderr
 *     etc/                       per-bot hosts, hostname, resolv.conf
 *     run/                       bound at /run/botbox: agent.sock
 *     state/                     the writable state and its snapshots
 *     rootfs-state/              where the state's overlay is mounted
 */
import path from "node:path";

import { BadRequestError } from "../../errors.js";
import { CONTAINER_PREFIX } from "../runtime.js";

/** The state folders bound read-write into every sandbox, at `/<name>`. */
export const STATE_FOLDERS = ["data", "app", "tmp", "root", "home"] as const;

/** Spec 3.1: bot ids are `[A-Za-z0-9_-]+`. */
const BOT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Unix socket paths are limited to 108 bytes, NUL included. */
const MAX_SOCKET_PATH = 107;

export interface BotPaths {
  readonly root: string;
  readonly record: string;
  readonly owner: string;
  readonly task: string;
  readonly status: string;
  readonly log: string;
  readonly etc: string;
  readonly run: string;
  readonly socket: string;
  readonly state: string;
  readonly merged: string;
}

export function botPaths(home: string, botId: string): BotPaths {
  const root = path.join(home, "bots", botId);
  return {
    root,
    record: path.join(root, "container.json"),
    owner: path.join(root, "owner.json"),
    task: path.join(root, "task.json"),
    status: path.join(root, "status.json"),
    log: path.join(root, "agent.log"),
    etc: path.join(root, "etc"),
    run: path.join(root, "run"),
    socket: path.join(root, "run", "agent.sock"),
    state: path.join(root, "state"),
    merged: path.join(root, "rootfs-state"),
  };
}

/** The bot id inside a container id `mcp-<botId>`, or undefined for anything else. */
export function botIdOf(containerId: string): string | undefined {
  if (!containerId.startsWith(CONTAINER_PREFIX)) return undefined;
  const botId = containerId.slice(CONTAINER_PREFIX.length);
  return BOT_ID.test(botId) ? botId : undefined;
}

export function checkContainerIds(home: string, id: string, botId: string): void {
  if (!BOT_ID.test(botId)) throw new BadRequestError(`bot id ${JSON.stringify(botId)} must match [A-Za-z0-9_-]{1,64}`);
  if (id !== CONTAINER_PREFIX + botId)
    throw new BadRequestError(`container id ${JSON.stringify(id)} must be ${JSON.stringify(CONTAINER_PREFIX + botId)}`);
  const socket = botPaths(home, botId).socket;
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH)
    throw new BadRequestError(
      `agent socket path ${socket} is longer than ${MAX_SOCKET_PATH} bytes: use a shorter home`,
    );
}

/** A hostname from the bot id: the container id, cut to the 63 characters a label allows. */
export function hostnameOf(containerId: string): string {
  return containerId.slice(0, 63).replace(/_/g, "-").toLowerCase();
}
