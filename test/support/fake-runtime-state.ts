// Where the FakeRuntime keeps what it knows, as plain files under its home so
// that a second runtime on the same home (a restarted server) finds the
// containers, tasks and snapshots of the first:
//   images.json                    imported images by reference
//   containers/<id>.json           a container's spec and its running task
//   containers/<id>.exit.json      how the last task this home saw ended
//   containers/<id>.log            its agent's stdout and stderr
//   bots/<botId>/data              the bot's /data (kept by deleteContainer keepData)
//   bots/<botId>/snapshots/<name>  folder copies of data, with snapshot.json
//   sockets/<hash>.sock            agent sockets, short enough for the 108-byte limit
import { execFile } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

import { BadRequestError } from "../../packages/server/src/errors.js";
import type { ContainerInfo, SnapshotInfo } from "../../packages/server/src/runtime/runtime.js";

const run = promisify(execFile);

/** A container as stored: its info (dates as ISO text), what only the runtime sees, and its task. */
export interface StoredContainer extends Omit<ContainerInfo, "createdAt"> {
  createdAt: string;
  agentToken: string;
  env: Record<string, string>;
  task?: { pid: number; startTicks: number; startedAt: string };
  /** Set once a task was started: a container never started has task state "missing". */
  everStarted?: boolean;
}

export interface StoredExit {
  pid: number;
  exitCode?: number;
}

export interface StoredSnapshot {
  name: string;
  parent?: string;
  createdAt: string;
}

export interface StoredImage {
  id: string;
  createdAt: string;
}

export class FakeRuntimeState {
  constructor(readonly home: string) {}

  containerFile = (id: string) => path.join(this.home, "containers", `${id}.json`);
  exitFile = (id: string) => path.join(this.home, "containers", `${id}.exit.json`);
  logFile = (id: string) => path.join(this.home, "containers", `${id}.log`);
  botFolder = (botId: string) => path.join(this.home, "bots", botId);
  dataFolder = (botId: string) => path.join(this.botFolder(botId), "data");
  snapshotFolder = (botId: string, name: string) => path.join(this.botFolder(botId), "snapshots", name);
  socketPath = (id: string) =>
    path.join(this.home, "sockets", `${createHash("sha256").update(id).digest("hex").slice(0, 16)}.sock`);

  async readJson<T>(file: string): Promise<T | undefined> {
    const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  /** Written beside and renamed over: a reader never sees half a file. */
  async writeJson(file: string, value: unknown): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true });
    const temporary = `${file}.${randomUUID()}.tmp`;
    await writeFile(temporary, JSON.stringify(value, null, 2));
    await rename(temporary, file);
  }

  /**
   * Replaces `target` with a copy of `source` (cp -a: modes, times, links
   * kept). The copy is made beside the target and swapped in, so a copy that
   * fails leaves the target as it was.
   */
  async replaceWithCopy(source: string, target: string): Promise<void> {
    const staging = `${target}.${randomUUID()}.copy`;
    await mkdir(path.dirname(target), { recursive: true });
    try {
      await run("cp", ["-a", "--reflink=auto", source, staging]);
      const old = `${target}.${randomUUID()}.old`;
      await rename(target, old).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT") throw error;
      });
      await rename(staging, target);
      await rm(old, { recursive: true, force: true });
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
}

/** What the runtime contract shows of a stored container: no token, env or task. */
export function infoOf(stored: StoredContainer): ContainerInfo {
  const { agentToken: _token, env: _env, task: _task, everStarted: _started, createdAt, ...info } = stored;
  return { ...info, createdAt: new Date(createdAt) };
}

export function snapshotInfoOf(snapshot: StoredSnapshot): SnapshotInfo {
  return { ...snapshot, createdAt: new Date(snapshot.createdAt) };
}

export const SNAPSHOT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function checkSnapshotName(name: string): void {
  if (!SNAPSHOT_NAME.test(name))
    throw new BadRequestError(`snapshot name ${JSON.stringify(name)} must be 1-128 characters of [A-Za-z0-9._-]`);
}
