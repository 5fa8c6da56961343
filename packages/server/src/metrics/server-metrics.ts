import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

import type { BotSample, BotUsageSampler } from "./bot-usage.js";

/** The bot states `botbox_bots` counts, each always present (0 when none) so a series never vanishes. */
const BOT_STATES: BotSample["state"][] = ["running", "stopped", "no_container"];

/**
 * What `botbox_exec_duration_seconds` counts, by `kind`: the two exec routes
 * (timed as requests), the LLM tools' `exec` and E2B's process Start
 * (exec-timing.ts).
 */
export type ExecKind = "buffered" | "stream" | "tool" | "e2b";

/** The API routes whose time is also an exec's: a command's whole run, up to an hour. */
export const EXEC_ROUTES: Readonly<Record<string, ExecKind>> = {
  "/bots/:bot_id/container/exec": "buffered",
  "/bots/:bot_id/container/exec/stream": "stream",
};

/**
 * botbox's metrics in one prom-client registry (docs/metrics.md). Label
 * values come from bounded sets only: route patterns, never URLs; bot ids,
 * which are as many as the registered bots; event types from the code.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<"route" | "method" | "status_class">;
  private readonly requestSeconds: Histogram<"route" | "method" | "status_class">;
  private readonly execSeconds: Histogram<"kind">;
  private readonly snapshotSeconds: Histogram<"operation" | "outcome">;
  private readonly lifecycleEvents: Counter<"type">;
  private readonly agentRestarts: Counter<"bot_id">;

  constructor(sampler: BotUsageSampler) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "botbox_" });
    this.requests = new Counter({
      name: "botbox_http_requests_total",
      help: "API requests answered, by route pattern, method and status class",
      labelNames: ["route", "method", "status_class"],
      registers,
    });
    this.requestSeconds = new Histogram({
      name: "botbox_http_request_duration_seconds",
      help: "Time from a request's arrival to the end of its answer (a stream's whole life)",
      labelNames: ["route", "method", "status_class"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.execSeconds = new Histogram({
      name: "botbox_exec_duration_seconds",
      help: "Commands run through the exec routes, the LLM exec tool and E2B's process Start, start to end",
      labelNames: ["kind"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers,
    });
    this.snapshotSeconds = new Histogram({
      name: "botbox_snapshot_duration_seconds",
      help: "The runtime's snapshot commits and restores (the task is stopped around them)",
      labelNames: ["operation", "outcome"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.lifecycleEvents = new Counter({
      name: "botbox_lifecycle_events_total",
      help: "Lifecycle events recorded since the server started, by type (GET /events streams them)",
      labelNames: ["type"],
      registers,
    });
    this.agentRestarts = new Counter({
      name: "botbox_agent_restarts_total",
      help: "Agents the supervisor restarted since the server started",
      labelNames: ["bot_id"],
      registers,
    });
    this.perBotGauges(sampler, registers);
  }

  /** One answered request; `route` is Fastify's pattern (undefined: no route matched). */
  observeRequest(route: string | undefined, method: string, status: number, seconds: number): void {
    const labels = { route: route ?? "unmatched", method, status_class: `${Math.floor(status / 100)}xx` };
    this.requests.inc(labels);
    this.requestSeconds.observe(labels, seconds);
    const exec = route === undefined ? undefined : EXEC_ROUTES[route];
    if (exec !== undefined) this.observeExec(exec, seconds);
  }

  /** One command's run, from its start to the end of its output. */
  observeExec(kind: ExecKind, seconds: number): void {
    this.execSeconds.observe({ kind }, seconds);
  }

  /** Runs a snapshot operation and records how long it took and whether it worked. */
  async timeSnapshot<T>(operation: "commit" | "restore", work: () => Promise<T>): Promise<T> {
    const end = this.snapshotSeconds.startTimer({ operation });
    try {
      const result = await work();
      end({ outcome: "ok" });
      return result;
    } catch (error) {
      end({ outcome: "error" });
      throw error;
    }
  }

  /** A lifecycle event as it is recorded (events/recorded-events.ts calls this). */
  countEvent(event: { botId: string; eventType: string }): void {
    this.lifecycleEvents.inc({ type: event.eventType });
    if (event.eventType === "agent_restart") this.agentRestarts.inc({ bot_id: event.botId });
  }

  /** The text a scrape answers, and its content type. */
  async scrape(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  /**
   * Gauges read from the bots at scrape time: each collect() asks the sampler,
   * which reads once for all of them (bot-usage.ts), then sets its series
   * afresh so a deleted or stopped bot's series go.
   */
  private perBotGauges(sampler: BotUsageSampler, registers: Registry[]): void {
    new Gauge({
      name: "botbox_bots",
      help: "Registered bots by state",
      labelNames: ["state"],
      registers,
      async collect() {
        const samples = await sampler.sample();
        for (const state of BOT_STATES) this.set({ state }, samples.filter((sample) => sample.state === state).length);
      },
    });
    type Pick = (usage: NonNullable<BotSample["usage"]>) => number | undefined;
    // Counts the kernel keeps are counters; prom-client's counters only go
    // up, so each scrape resets them and adds the kernel's count anew.
    const perBot = (kind: "gauge" | "counter", name: string, help: string, pick: Pick) => {
      const options = {
        name,
        help,
        labelNames: ["bot_id"] as const,
        registers,
        async collect(this: Gauge<"bot_id"> | Counter<"bot_id">) {
          const samples = await sampler.sample();
          this.reset();
          for (const sample of samples) {
            const value = sample.usage && pick(sample.usage);
            if (value === undefined) continue;
            if (this instanceof Gauge) this.set({ bot_id: sample.botId }, value);
            else this.inc({ bot_id: sample.botId }, value);
          }
        },
      };
      return kind === "gauge" ? new Gauge(options) : new Counter(options);
    };
    const usageGauge = (name: string, help: string, pick: Pick) => perBot("gauge", name, help, pick);
    const kernelCounter = (name: string, help: string, pick: Pick) => perBot("counter", name, help, pick);
    usageGauge(
      "botbox_bot_memory_bytes",
      "Memory the kernel charges a running bot's cgroup",
      (usage) => usage.memoryBytes,
    );
    usageGauge(
      "botbox_bot_processes",
      "Tasks in a running bot's pids cgroup (not under gVisor)",
      (usage) => usage.processes,
    );
    usageGauge(
      "botbox_bot_disk_used_bytes",
      "Bytes in use on a running bot's own disk (limits.disk_bytes), as statfs counts them",
      (usage) => usage.diskUsedBytes,
    );
    usageGauge(
      "botbox_bot_disk_size_bytes",
      "The size of a running bot's own disk's file system",
      (usage) => usage.diskSizeBytes,
    );
    kernelCounter(
      "botbox_bot_oom_kills_total",
      "Processes the kernel killed at a running bot's memory limit, since its cgroup was made",
      (usage) => usage.oomKills,
    );
    kernelCounter(
      "botbox_bot_cpu_seconds_total",
      "CPU time a running bot's cgroup used since it was made (where the kernel accounts it: docs/metrics.md)",
      (usage) => usage.cpuSeconds,
    );
  }
}
