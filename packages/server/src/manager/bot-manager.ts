import { randomBytes } from "node:crypto";

import type { Logger } from "pino";

import { type AgentClient, AgentPool, type AgentProvider } from "../client/index.js";
import { BadRequestError, ConflictError, NotFoundError } from "../errors.js";
import { KeyedLock } from "../lib/index.js";
import {
  BOT_LABEL,
  type ContainerInfo,
  type ContainerRuntime,
  type IsolationMode,
  type NetworkMode,
  type ResourceLimits,
} from "../runtime/runtime.js";
import { type ContainerSettings, containerSettings } from "./container-settings.js";
import { containerIdFor, type ContainerState, readContainerState } from "./container-state.js";
import { migrateLegacyData } from "./legacy-migration.js";
import { reconcileBots, type ReconcileSummary } from "./reconcile.js";
import type { BotRecord, ManagerRecords } from "./records.js";
import { unixSocketProbe, waitForAgent } from "./wait-for-agent.js";

export interface BotManagerOptions {
  runtime: ContainerRuntime;
  records: ManagerRecords;
  /** Image reference for new containers (already normalised). */
  image: string;
  network: NetworkMode;
  /** `[runtime] isolation`: what a bot that names none gets. Default `namespaces`. */
  isolation?: IsolationMode;
  limits: ResourceLimits;
  /** How long a start may wait for the agent to answer Info. */
  startTimeoutMs: number;
  /** [mcp] data_root holding legacy bind-mount data (docs/reference.md#legacy-migration); unset turns the migration off. */
  legacyDataRoot?: string;
  /** Variables every new container's agent gets, e.g. its log rotation (BOTBOX_AGENT_LOG_*). */
  agentEnv?: Record<string, string>;
  /** Called before a bot's task is stopped or its container deleted, e.g. to close its MCP sessions first. */
  onStopping?: (botId: string) => Promise<void> | void;
  logger: Logger;
}

/**
 * Creates, starts, stops and deletes bots' containers through a runtime
 * backend. Every operation on one bot runs under that bot's lock; the pool
 * is evicted whenever the agent process may have changed.
 */
export class BotManager implements AgentProvider {
  readonly pool: AgentPool;
  private readonly lock = new KeyedLock();

  constructor(private readonly options: BotManagerOptions) {
    this.pool = new AgentPool({
      resolveEndpoint: (botId) => options.runtime.agentEndpoint(containerIdFor(botId)),
    });
  }

  /**
   * After a bot's settings changed: a stopped container takes them at its
   * next start where the backend can change it in place ("next_start");
   * otherwise they wait for the bot's next container ("next_container"). A
   * running bot must be stopped first (ConflictError).
   */
  changeSettings(
    next: BotRecord,
    save: () => Promise<BotRecord>,
  ): Promise<{ bot: BotRecord; takesEffect: "next_start" | "next_container" }> {
    return this.lock.run(next.id, async () => {
      const { runtime } = this.options;
      const containerId = containerIdFor(next.id);
      const container = await runtime.getContainer(containerId);
      if (container && (await runtime.taskInfo(containerId)).state === "running")
        throw new ConflictError(`bot ${next.id} is running: stop it before changing its network, isolation or limits`);
      // The container first: a change it refuses leaves the record as it was.
      const inPlace = Boolean(container && runtime.updateContainer);
      if (inPlace) {
        const { network, egress, isolation, limits } = this.settingsOf(next);
        await runtime.updateContainer!(containerId, { network, egress, isolation, limits });
      }
      return { bot: await save(), takesEffect: inPlace ? "next_start" : "next_container" };
    });
  }

  /** Whether the backend can run bots under gVisor. */
  get gvisor(): boolean {
    return this.options.runtime.capabilities?.gvisor ?? false;
  }

  /** Whether the backend enforces `limits.diskBytes`. */
  get diskQuota(): boolean {
    return this.options.runtime.capabilities?.diskQuota ?? false;
  }

  /** Whether the backend enforces `limits.memoryBytes`, `pids` and `cpus`; only an explicit false says it cannot. */
  get resourceLimits(): boolean {
    return this.options.runtime.capabilities?.resourceLimits !== false;
  }

  /** The network of a bot that names none: `[runtime] network`. */
  get defaultNetwork(): NetworkMode {
    return this.options.network;
  }

  /**
   * The network, egress rules and limits a bot's container is made with:
   * its own settings, and the server's defaults for those it leaves unset.
   */
  settingsOf(bot: BotRecord): ContainerSettings {
    const { network, isolation, limits, runtime } = this.options;
    return containerSettings(bot, { network, isolation, limits }, runtime.capabilities);
  }

  agentFor(botId: string): Promise<AgentClient> {
    return this.pool.get(botId);
  }

  /**
   * Starts the bot's task, or re-attaches to a running one, and returns once
   * the bot's own agent answers. A failed start is reported, never taken for
   * success, and leaves the status "error".
   */
  start(botId: string): Promise<ContainerState> {
    return this.lock.run(botId, async () => {
      await this.startLocked(botId);
      return this.stateLocked(botId);
    });
  }

  stop(botId: string, timeoutMs = 10_000): Promise<ContainerState> {
    return this.lock.run(botId, async () => {
      await this.stopLocked(await this.requireContainer(botId), botId, timeoutMs);
      return this.stateLocked(botId);
    });
  }

  /**
   * Runs `work` on the bot's stopped task under the bot's lock (snapshots and
   * rollbacks need the writable state still), then starts the task again if
   * it was running, whether `work` succeeded or not.
   */
  withStoppedTask<T>(botId: string, work: (containerId: string) => Promise<T>): Promise<T> {
    return this.lock.run(botId, async () => {
      const containerId = await this.requireContainer(botId);
      const wasRunning = (await this.options.runtime.taskInfo(containerId)).state === "running";
      let result: T;
      try {
        if (wasRunning) {
          await this.stopLocked(containerId, botId, 10_000);
          // Paused for `work`, not stopped: should the server die before the start
          // below, the record still says running and reconcile starts it again.
          await this.options.records.setContainerStatus(botId, "running");
        }
        result = await work(containerId);
      } catch (error) {
        // The operation failed: the bot must still come back as it was.
        if (wasRunning) {
          await this.restartLocked(botId).catch((startError: unknown) =>
            this.options.logger.error({ botId, err: startError }, "could not restart the bot after a failed operation"),
          );
        }
        throw error;
      }
      if (wasRunning) await this.restartLocked(botId);
      return result;
    });
  }

  /**
   * Deletes the bot's container. `keepData` keeps its data for a container
   * made later; `discardKeptData` (a bot deleted for good) removes what an
   * earlier delete kept, so nothing passes to a new bot with the same id.
   */
  deleteContainer(botId: string, options: { keepData?: boolean; discardKeptData?: boolean } = {}): Promise<void> {
    return this.lock.run(botId, async () => {
      const { runtime, records } = this.options;
      const containerId = containerIdFor(botId);
      await this.notifyStopping(botId);
      this.pool.remove(botId);
      const existing = await runtime.getContainer(containerId);
      if (existing) {
        if ((await runtime.taskInfo(containerId)).state === "running") {
          await runtime.stopTask(containerId, { timeoutMs: 5_000, force: true });
        }
        await runtime.deleteContainer(containerId, { keepData: options.keepData ?? false });
      }
      if (options.discardKeptData) await runtime.discardKeptData?.(botId);
      await records.deleteContainer(botId);
    });
  }

  state(botId: string): Promise<ContainerState> {
    return this.lock.run(botId, () => this.stateLocked(botId));
  }

  /**
   * For the supervisor: starts the bot again if, checked under its lock, it
   * is still meant to run (auto-start, status running, or "error" while the
   * supervisor is retrying) and its task is gone. A stop or delete that
   * raced the supervisor's look wins: false, nothing started.
   */
  restartIfWanted(botId: string, retrying: boolean): Promise<boolean> {
    return this.lock.run(botId, async () => {
      const { runtime, records } = this.options;
      const record = await records.getContainer(botId);
      const wanted = record?.autoStart && (record.status === "running" || (retrying && record.status === "error"));
      if (!wanted) return false;
      const containerId = containerIdFor(botId);
      if (!(await runtime.getContainer(containerId))) return false;
      if ((await runtime.taskInfo(containerId)).state === "running") return false;
      await this.startLocked(botId);
      return true;
    });
  }

  /**
   * At start-up: re-attach to every bot whose task still runs (verifying its
   * agent), and start the auto-start bots whose task is gone.
   */
  reconcile(): Promise<ReconcileSummary> {
    const { runtime, records, logger } = this.options;
    return reconcileBots({
      runtime,
      records,
      logger,
      attach: (botId) => this.attach(botId),
      start: (botId) => this.start(botId),
    });
  }

  async close(): Promise<void> {
    this.pool.closeAll();
    await this.options.runtime.close();
  }

  /** In the background as in the original, but only once the agent answers. */
  private migrateLegacyDataInBackground(botId: string, containerId: string, agent: AgentClient): void {
    const { legacyDataRoot, logger } = this.options;
    if (legacyDataRoot === undefined) return;
    void migrateLegacyData({ dataRoot: legacyDataRoot, botId, agent, logger })
      .then(async (result) => {
        if (result.outcome === "migrated" || result.outcome === "incomplete") {
          await this.event(containerId, "legacy_data_migration", { ...result });
        }
      })
      .catch((error: unknown) => logger.error({ botId, err: error }, "legacy data migration failed"));
  }

  /**
   * Re-attaches to a task found running at start-up: its agent is dialled and
   * verified (Info with this bot's id) and the record says running. That is
   * all a restarted server needs, and it comes to a few milliseconds a bot;
   * a bot whose agent does not answer yet, or whose records are incomplete,
   * takes the whole start path, which waits for the agent (bounded).
   */
  private attach(botId: string): Promise<void> {
    return this.lock.run(botId, async () => {
      const { records } = this.options;
      const record = await records.getContainer(botId);
      let agent: AgentClient | undefined;
      if (record) agent = await this.pool.get(botId).catch(() => undefined);
      if (!record || !agent) {
        await this.startLocked(botId);
        return;
      }
      if (record.status !== "running") await records.setContainerStatus(botId, "running");
      this.migrateLegacyDataInBackground(botId, containerIdFor(botId), agent);
    });
  }

  /** Starts the task, trying once more if the first start fails. */
  private async restartLocked(botId: string): Promise<void> {
    try {
      await this.startLocked(botId);
    } catch (error) {
      this.options.logger.warn({ botId, err: error }, "start failed; trying once more");
      await this.startLocked(botId);
    }
  }

  /** What listens to a stop is not part of it: a failure is logged, the stop goes on. */
  private async notifyStopping(botId: string): Promise<void> {
    try {
      await this.options.onStopping?.(botId);
    } catch (error) {
      this.options.logger.warn({ botId, err: error }, "a stop listener failed");
    }
  }

  /** Lifecycle events are a record, not part of the operation: one that cannot be written is logged. */
  private async event(containerId: string, type: string, payload: Record<string, unknown> = {}): Promise<void> {
    try {
      await this.options.records.recordEvent(containerId, type, payload);
    } catch (error) {
      this.options.logger.error({ containerId, type, err: error }, "could not record a lifecycle event");
    }
  }

  private async startLocked(botId: string): Promise<void> {
    const container = await this.ensureContainerLocked(botId);
    const { runtime, records, startTimeoutMs } = this.options;
    const task = await runtime.taskInfo(container.id);
    let agent: AgentClient;
    try {
      // The timeout covers the whole start: the task's own set-up (its network, say) and the agent's.
      const deadline = Date.now() + startTimeoutMs;
      if (task.state !== "running") {
        // A new process: whatever channel the pool holds is stale.
        this.pool.remove(botId);
        await runtime.startTask(container.id);
      }
      const probe = unixSocketProbe(await runtime.agentEndpoint(container.id));
      agent = await waitForAgent(this.pool, botId, deadline - Date.now(), {
        ...(probe ? { mayBeUp: probe } : {}),
        taskEnded: async () => {
          const now = await runtime.taskInfo(container.id);
          if (now.state === "running") return undefined;
          return `its task is ${now.state}${now.exitCode === undefined ? "" : ` (exit code ${now.exitCode})`}`;
        },
        totalMs: startTimeoutMs,
      });
      // Asked again now that the agent has answered and before any command of the
      // bot's has run: a backend may take hold of the socket here (the sandbox does).
      await runtime.agentEndpoint(container.id);
    } catch (error) {
      this.pool.remove(botId);
      await records.setContainerStatus(botId, "error");
      await this.event(container.id, "start_failed", { error: String(error) });
      if (task.state !== "running") await runtime.stopTask(container.id, { timeoutMs: 2_000 }).catch(() => undefined);
      throw error;
    }
    if (task.state !== "running") {
      await records.markStarted(botId);
      await this.event(container.id, "container_start");
    } else if ((await records.getContainer(botId))?.status !== "running") {
      // Re-attached to a task that was already running: it was not started now.
      await records.setContainerStatus(botId, "running");
    }
    this.migrateLegacyDataInBackground(botId, container.id, agent);
  }

  private async stopLocked(containerId: string, botId: string, timeoutMs: number): Promise<void> {
    await this.notifyStopping(botId);
    this.pool.remove(botId);
    await this.options.runtime.stopTask(containerId, { timeoutMs, force: true });
    await this.options.records.markStopped(botId);
    await this.event(containerId, "container_stop");
  }

  private async ensureContainerLocked(botId: string): Promise<ContainerInfo> {
    const { runtime, records } = this.options;
    const bot = await records.getBot(botId);
    if (!bot) throw new NotFoundError(`bot ${botId} not found`);
    // A bot made with its own image (an E2B template, docs/e2b.md) keeps it; others take the server's.
    const image = bot.image ?? this.options.image;
    const containerId = containerIdFor(botId);
    let container = await runtime.getContainer(containerId);
    if (!container) {
      const { network } = this.settingsOf(bot);
      // Never a network that looks isolated and is not.
      if (network === "isolated" && !runtime.capabilities?.isolatedNetwork)
        throw new BadRequestError(
          `network "isolated" is not enforced by the ${runtime.name} runtime yet: give the bot network "host" or "none"`,
        );
      await runtime.ensureImage(image);
      container = await runtime.createContainer({
        id: containerId,
        botId,
        image,
        labels: { [BOT_LABEL]: botId },
        env: { ...this.options.agentEnv },
        ...this.settingsOf(bot),
        agentToken: randomBytes(32).toString("hex"),
      });
    }
    if (!(await records.getContainer(botId))) {
      await records.saveContainer({
        botId,
        containerId,
        image: container.image,
        runtime: runtime.name,
        autoStart: bot.autoStart,
      });
      await this.event(containerId, "container_create", { image, runtime: runtime.name });
    }
    return container;
  }

  private stateLocked(botId: string): Promise<ContainerState> {
    const { runtime, records, image } = this.options;
    return readContainerState(runtime, records, botId, image);
  }

  private async requireContainer(botId: string): Promise<string> {
    const containerId = containerIdFor(botId);
    if (!(await this.options.runtime.getContainer(containerId))) {
      throw new NotFoundError(`bot ${botId} has no container`);
    }
    return containerId;
  }
}
