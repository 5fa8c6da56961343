/**
 * The user an image's `User` names, resolved as containerd's `WithUser` does:
 * names through the container root filesystem's /etc/passwd and /etc/group,
 * a lone numeric uid takes its passwd entry's gid (0 when it has none), and
 * an unknown name is an error rather than root. Supplementary groups are the
 * user's memberships in /etc/group (containerd's `WithAdditionalGIDs`).
 *
 * The files are read from the writable snapshot, which a bot may have
 * changed: symlinks are resolved inside the mounted root (never the host's),
 * and only regular files of bounded size are read (a FIFO must not hang a
 * create).
 */
import { execFile } from "node:child_process";
import { lstat, mkdtemp, readFile, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { BadRequestError } from "../../errors.js";
import type { Mount } from "../../gen/containerd/github.com/containerd/containerd/api/types/mount.js";

const run = promisify(execFile);
const MAX_FILE_BYTES = 4 * 2 ** 20;

export interface ProcessUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
}

export interface AccountFiles {
  passwd?: string;
  group?: string;
}

const numeric = (value: string) => /^\d+$/.test(value);

/** Whether resolving `user` needs the image's account files. */
export function needsAccountFiles(user: string | undefined): boolean {
  if (!user) return false;
  const [name, group] = user.split(":");
  return !(numeric(name!) && group !== undefined && numeric(group));
}

export function resolveUser(user: string | undefined, files: AccountFiles): ProcessUser {
  if (!user) return { uid: 0, gid: 0 };
  const [name, group, ...rest] = user.split(":");
  if (rest.length > 0 || !name) throw new BadRequestError(`image user ${JSON.stringify(user)} is not user[:group]`);
  const accounts = parseTable(files.passwd);
  const entry = numeric(name) ? accounts.find((fields) => fields[2] === name) : accounts.find((f) => f[0] === name);
  if (!numeric(name) && !entry)
    throw new BadRequestError(`image user ${JSON.stringify(name)} is not in the image's /etc/passwd`);
  const uid = Number(entry?.[2] ?? name);
  let gid = Number(entry?.[3] ?? 0);
  const groups = parseTable(files.group);
  if (group !== undefined) {
    const found = numeric(group) ? undefined : groups.find((fields) => fields[0] === group);
    if (!numeric(group) && !found)
      throw new BadRequestError(`image group ${JSON.stringify(group)} is not in the image's /etc/group`);
    gid = Number(found?.[2] ?? group);
  }
  const userName = entry?.[0];
  const additional = userName
    ? groups
        .filter((fields) => (fields[3] ?? "").split(",").includes(userName) && numeric(fields[2] ?? ""))
        .map((fields) => Number(fields[2]))
        .filter((id) => id !== gid)
    : [];
  return { uid, gid, ...(additional.length > 0 ? { additionalGids: [...new Set(additional)] } : {}) };
}

/** /etc/passwd and /etc/group of a snapshot, mounted read-only for the time of the read. */
export async function readAccountFiles(mounts: Mount[]): Promise<AccountFiles> {
  const target = await mkdtemp(path.join(tmpdir(), "botbox-rootfs-"));
  try {
    const root = await mountRoot(mounts, target);
    try {
      const [passwd, group] = await Promise.all([readInRoot(root, "/etc/passwd"), readInRoot(root, "/etc/group")]);
      return { ...(passwd !== undefined ? { passwd } : {}), ...(group !== undefined ? { group } : {}) };
    } finally {
      if (root === target) await run("umount", [target]).catch(() => run("umount", ["-l", target]));
    }
  } finally {
    await rm(target, { recursive: true, force: true });
  }
}

/** A bind mount is read where it is; an overlay is mounted at `target`. */
async function mountRoot(mounts: Mount[], target: string): Promise<string> {
  const [mount] = mounts;
  if (mounts.length !== 1 || !mount) throw new Error(`a root filesystem of ${mounts.length} mounts`);
  if (mount.type === "bind") return mount.source;
  const options = [...mount.options.filter((option) => option !== "rw"), "ro"].join(",");
  await run("mount", ["-t", mount.type, "-o", options, mount.source, target]);
  return target;
}

/** A file inside `root`, symlinks resolved against `root` (an absolute link stays inside it). */
export async function readInRoot(root: string, file: string): Promise<string | undefined> {
  let pending = file.split("/").filter(Boolean);
  let current = "/";
  for (let hops = 0; pending.length > 0;) {
    const part = pending.shift()!;
    if (part === "." || part === "..") {
      current = part === ".." ? path.posix.dirname(current) : current;
      continue;
    }
    const next = path.posix.join(current, part);
    const stats = await lstat(path.join(root, next)).catch(() => undefined);
    if (!stats) return undefined;
    if (stats.isSymbolicLink()) {
      if (++hops > 40) return undefined;
      const link = await readlink(path.join(root, next));
      if (link.startsWith("/")) current = "/";
      pending = [...link.split("/").filter(Boolean), ...pending];
      continue;
    }
    current = next;
    if (pending.length === 0) {
      if (!stats.isFile() || stats.size > MAX_FILE_BYTES) return undefined;
      return readFile(path.join(root, current), "utf8");
    }
    if (!stats.isDirectory()) return undefined;
  }
  return undefined;
}

function parseTable(text: string | undefined): string[][] {
  return (text ?? "")
    .split("\n")
    .filter((line) => line.trim() && !line.startsWith("#"))
    .map((line) => line.split(":"));
}
