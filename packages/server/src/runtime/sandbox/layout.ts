/**
 * Where the sandbox runtime keeps things under botbox's home:
 *
 *   images/<ref, URI-encoded>/   image.json, and etc/ (default image) or rootfs/
 *   opt/                         the agent bundle, node and templates, staged
 *   host-ids/<uid>               one file per host uid handed to a bot
 *   netpool/<id>.json, .log      network namespaces made ahead (network/netns-pool.ts)
 *   bots/<botId>/                root:<bot gid> 0710: only root and that bot get in
 *     container.json             the record, token included (0600)
 *     owner.json                 the bot's host uid/gid (kept with keepData)
 *     task.json, status.json     the running task, and bwrap's exit report
 *     slirp.log                  an isolated bot's slirp4netns output
 *     etc/                       per-bot hosts, hostname, resolv.conf
 *     run/                       bound at /run/botbox: agent.sock
 *     disk.img                   with a disk quota: the file system state/ is mounted from
 *     state/                     the writable state and its snapshots, and
 *       agent.log                the agent's stderr: on the bot's disk quota, since the
 *                                bot can write to it through its agent's /proc/<pid>/fd
 *     rootfs-state/              where the state's overlay is mounted
 */
import path from "node:path";

/** The state folders bound read-write into every sandbox, at `/<name>`. */
export const STATE_FOLDERS = ["data", "app", "tmp", "root", "home"] as const;

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
  readonly disk: string;
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
    log: path.join(root, "state", "agent.log"),
    etc: path.join(root, "etc"),
    run: path.join(root, "run"),
    socket: path.join(root, "run", "agent.sock"),
    state: path.join(root, "state"),
    disk: path.join(root, "disk.img"),
    merged: path.join(root, "rootfs-state"),
  };
}
