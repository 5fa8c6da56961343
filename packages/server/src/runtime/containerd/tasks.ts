/**
 * A container's task through the Tasks service: create with the writable
 * snapshot's mounts, start, signal, poll until it stops, delete. A stopped
 * task is deleted (its shim and rootfs mount go with it); how it ended is kept
 * in the bot's folder, so taskInfo still reports the exit code, also after a
 * server restart.
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import { constants } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";

import { ConflictError, NotFoundError } from "../../errors.js";
import type { Mount } from "../../gen/containerd/github.com/containerd/containerd/api/types/mount.js";
import type { Process } from "../../gen/containerd/github.com/containerd/containerd/api/types/task/task.js";
import { Status } from "../../gen/containerd/github.com/containerd/containerd/api/types/task/task.js";
import type { TaskInfo } from "../runtime.js";
import type { ContainerdApi } from "./api.js";

interface TaskRecord {
  startedAt: string;
  exitCode?: number;
  exitedAt?: string;
}

export class Tasks {
  constructor(private readonly api: ContainerdApi) {}

  async get(id: string): Promise<Process | undefined> {
    const response = await this.api.callOrMissing<{ process: Process | undefined }>(
      `get task ${id}`,
      (md, options, done) => this.api.tasks.get({ containerId: id, execId: "" }, md, options, done),
    );
    return response?.process;
  }

  /** Creates and starts the task; its stdout and stderr go to `logFile`. */
  async start(id: string, rootfs: Mount[], logFile: string, recordFile: string): Promise<void> {
    const log = `file://${logFile}`;
    await this.api.call(`create task ${id}`, (md, options, done) =>
      this.api.tasks.create(
        {
          containerId: id,
          rootfs,
          stdin: "",
          stdout: log,
          stderr: log,
          terminal: false,
          checkpoint: undefined,
          options: undefined,
          runtimePath: "",
        },
        md,
        options,
        done,
      ),
    );
    try {
      await this.api.call(`start task ${id}`, (md, options, done) =>
        this.api.tasks.start({ containerId: id, execId: "" }, md, options, done),
      );
    } catch (error) {
      await this.delete(id).catch(() => {});
      throw error;
    }
    const record: TaskRecord = { startedAt: new Date().toISOString() };
    await writeFile(recordFile, JSON.stringify(record), { mode: 0o600 });
  }

  async kill(id: string, signal: NodeJS.Signals, all = false): Promise<void> {
    await this.api
      .call(`signal task ${id}`, (md, options, done) =>
        this.api.tasks.kill({ containerId: id, execId: "", signal: constants.signals[signal], all }, md, options, done),
      )
      .catch((error: unknown) => {
        // Not found or not running: it has already ended.
        if (!(error instanceof NotFoundError || error instanceof ConflictError)) throw error;
      });
  }

  /** True when the task stopped (or is gone) within the time. */
  async waitForExit(id: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const task = await this.get(id);
      if (!task || task.status === Status.STOPPED) return true;
      if (Date.now() >= deadline) return false;
      await sleep(25);
    }
  }

  /** Deletes a stopped task and records how it ended. */
  async delete(id: string, recordFile?: string): Promise<void> {
    const response = await this.api.callOrMissing<{ exitStatus: number; exitedAt: Date | undefined }>(
      `delete task ${id}`,
      (md, options, done) => this.api.tasks.delete({ containerId: id }, md, options, done),
    );
    if (!response || !recordFile) return;
    const previous = await readRecord(recordFile);
    const record: TaskRecord = {
      startedAt: previous?.startedAt ?? new Date(0).toISOString(),
      exitCode: response.exitStatus,
      exitedAt: (response.exitedAt ?? new Date()).toISOString(),
    };
    await writeFile(recordFile, JSON.stringify(record), { mode: 0o600 });
  }

  async info(id: string, recordFile: string): Promise<TaskInfo> {
    const task = await this.get(id);
    const record = await readRecord(recordFile);
    const startedAt = record ? { startedAt: new Date(record.startedAt) } : {};
    if (task && task.status !== Status.STOPPED && task.status !== Status.CREATED)
      return { state: "running", pid: task.pid, ...startedAt };
    if (task?.status === Status.STOPPED) return { state: "stopped", exitCode: task.exitStatus, ...startedAt };
    if (record?.exitCode !== undefined) return { state: "stopped", exitCode: record.exitCode, ...startedAt };
    return { state: "missing" };
  }

  async forget(recordFile: string): Promise<void> {
    await rm(recordFile, { force: true });
  }
}

async function readRecord(file: string): Promise<TaskRecord | undefined> {
  const text = await readFile(file, "utf8").catch(() => undefined);
  return text ? (JSON.parse(text) as TaskRecord) : undefined;
}
