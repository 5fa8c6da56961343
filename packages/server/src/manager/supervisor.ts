import type { Logger } from "pino";

import type { ContainerRuntime } from "../runtime/runtime.js";
import type { ManagerRecords } from "./records.js";

export interface SupervisorOptions {
  runtime: ContainerRuntime;
  records: ManagerRecords;
  /**
   * Starts the bot again if, checked under its lock, it is still meant to run
   * and its task is gone (BotManager.restartIfWanted); false when a stop or
   * delete got there first. Throws when the start fails.
   */
  restart: (botId: string, retrying: boolean) => Promise<boolean>;
  containerIdFor: (botId: string) => string;
  logger: Logger;
  /** How often running bots are checked. Default 2 s. */
  intervalMs?: number;
  /** First restart delay, doubled per failure up to maxBackoffMs. Default 1 s. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** The clock backoff is measured on; tests pass their own so a backoff passes without waiting. Default Date.now. */
  now?: () => number;
}

interface Backoff {
  failures: number;
  notBefore: number;
}

/**
 * Restarts bots whose agent died while they were meant to run, with
 * exponential backoff, and records each restart as a lifecycle event.
 */
export class AgentSupervisor {
  private timer: NodeJS.Timeout | undefined;
  private readonly backoff = new Map<string, Backoff>();
  private checking = false;
  /** The last oom_kill count seen per running bot; a new task starts its count at 0. */
  private readonly oomKills = new Map<string, number>();

  private readonly now: () => number;

  constructor(private readonly options: SupervisorOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.checkOnce(), this.options.intervalMs ?? 2_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * A process the kernel killed at the bot's memory limit is recorded as an
   * `oom_kill` event (the bot itself goes on; its agent, if it was the one,
   * is restarted like any dead agent).
   */
  private async noteOomKills(record: { botId: string; containerId: string }, total: number | undefined): Promise<void> {
    if (total === undefined) return;
    const seen = this.oomKills.get(record.botId) ?? 0;
    this.oomKills.set(record.botId, total);
    if (total <= seen) return;
    await this.options.records
      .recordEvent(record.containerId, "oom_kill", { killed: total - seen, total })
      .catch(() => undefined);
    this.options.logger.warn(
      { botId: record.botId, killed: total - seen },
      "the kernel killed a process at the bot's memory limit",
    );
  }

  /** One pass over the bots that should be running; the ids of those it restarted. */
  async checkOnce(): Promise<string[]> {
    if (this.checking) return [];
    this.checking = true;
    const restarted: string[] = [];
    try {
      const { records, runtime, containerIdFor, logger } = this.options;
      // A failed restart leaves the status "error"; keep retrying those we began.
      const wanted = (await records.listAutoStart()).filter(
        (record) => record.status === "running" || this.backoff.has(record.botId),
      );
      for (const record of wanted) {
        const task = await runtime.taskInfo(containerIdFor(record.botId)).catch(() => undefined);
        if (task?.state === "running") await this.noteOomKills(record, task.oomKills);
        if (!task || task.state === "running") continue;
        const backoff = this.backoff.get(record.botId) ?? { failures: 0, notBefore: 0 };
        if (this.now() < backoff.notBefore) continue;
        const attempt = { attempt: backoff.failures + 1, exitCode: task.exitCode ?? null };
        try {
          // What was read above may be stale: a stop or delete may be under way.
          if (!(await this.options.restart(record.botId, this.backoff.has(record.botId)))) {
            this.backoff.delete(record.botId);
            continue;
          }
          this.backoff.delete(record.botId);
          restarted.push(record.botId);
          await records.recordEvent(record.containerId, "agent_restart", attempt).catch(() => undefined);
          logger.warn({ botId: record.botId, exitCode: task.exitCode }, "restarted a bot whose agent died");
        } catch (error) {
          const failures = backoff.failures + 1;
          const delay = Math.min(
            (this.options.initialBackoffMs ?? 1_000) * 2 ** (failures - 1),
            this.options.maxBackoffMs ?? 60_000,
          );
          this.backoff.set(record.botId, { failures, notBefore: this.now() + delay });
          await records
            .recordEvent(record.containerId, "agent_restart", { ...attempt, error: String(error) })
            .catch(() => undefined);
          logger.error({ botId: record.botId, err: error, retryInMs: delay }, "restart of a dead agent failed");
        }
      }
    } finally {
      this.checking = false;
    }
    return restarted;
  }
}
