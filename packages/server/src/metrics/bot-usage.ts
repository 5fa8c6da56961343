import type { ContainerRuntime, TaskInfo } from "../runtime/runtime.js";

/** One bot as a scrape shows it: its state and, while it runs, what its cgroups count. */
export interface BotSample {
  botId: string;
  /** `no_container`: registered, never started (or its container deleted). */
  state: "running" | "stopped" | "no_container";
  usage?: Pick<TaskInfo, "memoryBytes" | "processes" | "oomKills" | "cpuSeconds" | "diskUsedBytes" | "diskSizeBytes">;
}

export interface BotUsageSamplerOptions {
  /** The registered bots' ids (one query). */
  listBotIds: () => Promise<string[]>;
  runtime: Pick<ContainerRuntime, "listContainers" | "taskInfo">;
  /** Task infos read at once; the rest wait. Default 8. */
  concurrency?: number;
  /** A sample this young is answered again instead of read anew. Default 2 s. */
  cacheMs?: number;
}

/**
 * Every bot's state and usage, read when a scrape asks and kept for a moment.
 * A scrape's cost grows with the bots: one list of bots, one of containers,
 * then one taskInfo per container (a few small cgroup files each,
 * runtime/cgroup-usage.ts), at most `concurrency` at a time so a scrape of
 * many bots does not flood the runtime. Scrapes that come while one reads
 * share its answer, and one within `cacheMs` of the last gets the same
 * sample: several Prometheus servers, or a dashboard refreshing, cost one
 * read.
 */
export class BotUsageSampler {
  private cached?: { at: number; samples: Promise<BotSample[]> };

  constructor(private readonly options: BotUsageSamplerOptions) {}

  sample(): Promise<BotSample[]> {
    const cacheMs = this.options.cacheMs ?? 2000;
    const now = Date.now();
    if (this.cached && now - this.cached.at < cacheMs) return this.cached.samples;
    const samples = this.read();
    this.cached = { at: now, samples };
    // A failed read is not kept: the next scrape tries again.
    samples.catch(() => {
      if (this.cached?.samples === samples) this.cached = undefined;
    });
    return samples;
  }

  private async read(): Promise<BotSample[]> {
    const [botIds, containers] = await Promise.all([this.options.listBotIds(), this.options.runtime.listContainers()]);
    const containerOf = new Map(containers.map((container) => [container.botId, container.id]));
    return mapLimited(botIds, this.options.concurrency ?? 8, async (botId): Promise<BotSample> => {
      const containerId = containerOf.get(botId);
      if (containerId === undefined) return { botId, state: "no_container" };
      // A container deleted between the list and this read is one without a container.
      const task = await this.options.runtime.taskInfo(containerId).catch(() => undefined);
      if (!task || task.state === "missing") return { botId, state: "no_container" };
      if (task.state !== "running") return { botId, state: "stopped" };
      const { memoryBytes, processes, oomKills, cpuSeconds, diskUsedBytes, diskSizeBytes } = task;
      const usage = { memoryBytes, processes, oomKills, cpuSeconds, diskUsedBytes, diskSizeBytes };
      return { botId, state: "running", usage };
    });
  }
}

/** `work` over `items`, at most `limit` at a time; answers in the items' order. */
export async function mapLimited<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
