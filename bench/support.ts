import { chmod, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { pino } from "pino";

import { BotManager } from "../packages/server/src/manager/index.js";
import { storeRecords } from "../packages/server/src/manager/store-records.js";
import type { IsolationMode, NetworkMode, ResourceLimits } from "../packages/server/src/runtime/runtime.js";
import { DEFAULT_IMAGE, SandboxRuntime } from "../packages/server/src/runtime/sandbox/index.js";
import { openStore, type Store } from "../packages/server/src/store/index.js";
import { AGENT_BUNDLE } from "../test/support/agent-process.js";

export { startAgentProcess } from "../test/support/agent-process.js";

/** Scratch space on the repository's disk (not tmpfs), so file figures compare like with like. */
export async function scratchDir(name: string): Promise<string> {
  const root = fileURLToPath(new URL("../.bench-tmp/", import.meta.url));
  await mkdir(root, { recursive: true });
  return mkdtemp(path.join(root, `${name}-`));
}

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const ms = (value: number) => `${value.toFixed(3)} ms`;
export const mbps = (bytes: number, seconds: number) => `${(bytes / seconds / 2 ** 20).toFixed(0)} MiB/s`;

export async function time(run: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/**
 * Times `baseline` and `subject` alternately, after `warmUp` untimed rounds
 * of each, so drift in machine load hits both sides alike. With
 * `swapOrder`, every other round runs the subject first: for work whose
 * cost spills into what comes next (a write still being flushed).
 */
export async function interleaved(
  baseline: () => Promise<unknown>,
  subject: () => Promise<unknown>,
  rounds: number,
  { warmUp = 30, swapOrder = false }: { warmUp?: number; swapOrder?: boolean } = {},
): Promise<{ baseline: number[]; subject: number[] }> {
  for (let i = 0; i < warmUp; i++) {
    await baseline();
    await subject();
  }
  const samples = { baseline: [] as number[], subject: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    if (swapOrder && i % 2 === 1) {
      samples.subject.push(await time(subject));
      samples.baseline.push(await time(baseline));
    } else {
      samples.baseline.push(await time(baseline));
      samples.subject.push(await time(subject));
    }
  }
  return samples;
}

export interface Figure {
  bench: string;
  figure: string;
  ratio: number;
  /** What the issue asks for; absent for a figure that is only reported. */
  goal?: string;
  met?: boolean;
}

export function report(figure: Figure): Figure {
  const verdict = figure.goal === undefined ? "(no goal)" : `(goal ${figure.goal}) ${figure.met ? "MET" : "NOT MET"}`;
  console.log(`${figure.bench}: ${figure.figure}; ratio ${figure.ratio.toFixed(2)} ${verdict}`);
  return figure;
}

// ---- Host-side helpers (issue 4): a manager on a sandbox runtime in a scratch home ----

/** Runs `run` on every item, at most `limit` at once; every item is tried, the first failure is rethrown. */
export async function forEachLimit<T>(items: readonly T[], limit: number, run: (item: T) => Promise<unknown>) {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await run(item).catch((error: unknown) => failures.push(error));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failures.length > 0) throw failures[0];
}

/**
 * A scratch folder for botbox homes. Bots run as their own host uids, which
 * must be able to walk down to their folders: mkdtemp's 0700 would stop them.
 */
export async function homeScratchDir(name: string): Promise<string> {
  const folder = await scratchDir(name);
  await chmod(folder, 0o711);
  return folder;
}

/** A botbox host in this process: sandbox runtime, SQLite store and manager on one home. */
export interface Host {
  readonly home: string;
  readonly runtime: SandboxRuntime;
  readonly store: Store;
  readonly manager: BotManager;
  /** Registers a bot (database row only); `manager.start` then creates and starts its container. */
  addBot(id: string): Promise<void>;
  /** Closes the manager and the store and leaves the bots running, as a stopping server does. */
  detach(): Promise<void>;
  /** Stops and deletes every sandbox of the home, then closes everything; safe to call after any failure. */
  close(): Promise<void>;
}

export async function startHost(
  home: string,
  options: {
    agentBundle?: string;
    agentCodeCache?: boolean;
    network?: NetworkMode;
    isolation?: IsolationMode;
    limits?: ResourceLimits;
    /** Pooled network namespaces (SandboxRuntimeOptions.networkPool); default: the runtime's. */
    networkPool?: number;
  } = {},
): Promise<Host> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const runtime = new SandboxRuntime({
    home,
    agentBundle: options.agentBundle ?? AGENT_BUNDLE,
    agentCodeCache: options.agentCodeCache,
    ...(options.networkPool === undefined ? {} : { networkPool: options.networkPool }),
  });
  const store = await openStore({ sqlitePath: path.join(home, "botbox.db") });
  const manager = new BotManager({
    runtime,
    records: storeRecords(store),
    image: DEFAULT_IMAGE,
    network: options.network ?? "host",
    ...(options.isolation ? { isolation: options.isolation } : {}),
    limits: options.limits ?? {},
    startTimeoutMs: 30_000,
    logger: pino({ level: "silent" }),
  });
  return {
    home,
    runtime,
    store,
    manager,
    async addBot(id) {
      await store.createBot({ id, displayName: id });
    },
    async detach() {
      await manager.close();
      await store.close();
    },
    async close() {
      try {
        const ids = (await runtime.listContainers()).map((container) => container.botId);
        await forEachLimit(ids, 4, (botId) => manager.deleteContainer(botId)).catch(() => {});
      } finally {
        await manager.close();
        await store.close();
        await removeSandboxes(home);
      }
    },
  };
}

/**
 * The last line of clean-up: stops and deletes every container a runtime on
 * `home` still sees (a fresh runtime, so it works after a crashed server too),
 * then removes the folder. Returns how many containers were left.
 */
export async function removeSandboxes(home: string): Promise<number> {
  const runtime = new SandboxRuntime({ home, agentBundle: AGENT_BUNDLE });
  const left = await runtime.listContainers().catch(() => []);
  await forEachLimit(left, 4, async ({ id }) => {
    await runtime.stopTask(id, { timeoutMs: 5_000, force: true }).catch(() => {});
    await runtime.deleteContainer(id);
  }).catch((error: unknown) => console.error(`clean-up of ${home} failed:`, error));
  await rm(home, { recursive: true, force: true });
  return left.length;
}

/** Options of a host a benchmark starts (see startHost). */
export type HostOptions = NonNullable<Parameters<typeof startHost>[1]>;

/** A benchmark's scratch home and the hosts it starts there, all cleaned up when it ends. */
export interface Lab {
  readonly scratch: string;
  /** Starts a host whose home is `<scratch>/<name>`. */
  startHost(name: string, options?: HostOptions): Promise<Host>;
}

/**
 * Runs a benchmark in a scratch home: whatever way it ends, the hosts it
 * started are closed and any sandbox still there is stopped and removed (and
 * counted on stderr, under the benchmark's label).
 */
export async function inLab<T>(label: string, run: (lab: Lab) => Promise<T>): Promise<T> {
  const scratch = await homeScratchDir(label.replaceAll(" ", "-"));
  const hosts: Host[] = [];
  try {
    return await run({
      scratch,
      async startHost(name, options) {
        const host = await startHost(path.join(scratch, name), options);
        hosts.push(host);
        return host;
      },
    });
  } finally {
    for (const host of hosts) await host.close();
    const left = await removeSandboxes(scratch);
    if (left > 0) console.error(`${label}: ${left} sandboxes were left and removed`);
  }
}

/** Resident memory of one process, from /proc: RSS and PSS (shared pages split among their users), in MB. */
export interface ProcessMemory {
  rss: number;
  rssAnon: number;
  rssFile: number;
  pss: number;
  pssAnon: number;
  pssFile: number;
}

export async function processMemory(pid: number): Promise<ProcessMemory> {
  const [status, rollup] = await Promise.all([
    readFile(`/proc/${pid}/status`, "utf8"),
    readFile(`/proc/${pid}/smaps_rollup`, "utf8"),
  ]);
  const field = (text: string, name: string) => {
    const kib = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1];
    if (kib === undefined) throw new Error(`no ${name} for pid ${pid}`);
    return Number(kib) / 1024;
  };
  return {
    rss: field(status, "VmRSS"),
    rssAnon: field(status, "RssAnon"),
    rssFile: field(status, "RssFile"),
    pss: field(rollup, "Pss"),
    pssAnon: field(rollup, "Pss_Anon"),
    pssFile: field(rollup, "Pss_File"),
  };
}

export function sumMemory(parts: ProcessMemory[]): ProcessMemory {
  const total: ProcessMemory = { rss: 0, rssAnon: 0, rssFile: 0, pss: 0, pssAnon: 0, pssFile: 0 };
  for (const part of parts) for (const key of Object.keys(total) as (keyof ProcessMemory)[]) total[key] += part[key];
  return total;
}

/** Parent pid and command name of every process on the machine. */
export async function processTable(): Promise<Map<number, { ppid: number; comm: string }>> {
  const table = new Map<number, { ppid: number; comm: string }>();
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, "utf8").catch(() => undefined);
    if (!stat) continue;
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    table.set(Number(name), { ppid: Number(stat.slice(close + 2).split(" ")[1]), comm });
  }
  return table;
}

/** `pid` and all its descendants, from a processTable(). */
export function processTree(table: Map<number, { ppid: number }>, pid: number): number[] {
  const tree = [pid];
  for (let i = 0; i < tree.length && i < 10_000; i++)
    for (const [child, { ppid }] of table) if (ppid === tree[i]) tree.push(child);
  return tree;
}

export const mb = (value: number) => `${value.toFixed(1)} MB`;
