// Every runtime backend side by side (issue 7 §4), in one run, each through
// the same BotManager: cold start (create + start until the agent answers
// Info), exec round trip of `true` through the agent, and snapshot cost
// (commit of a stopped bot holding BENCH_SNAPSHOT_MIB in /data plus 1 MiB
// changed in /data and 1 MiB in /root; restore to the first snapshot). The
// sandbox always runs; the others when their service is configured
// (test/support/runtimes.ts: docker with DOCKER_HOST). Samples alternate
// between backends, so drift in machine load hits all alike. The ratios are
// each backend's p50 over the sandbox's. No goal: the figures say what
// choosing a backend costs.
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";

import { pino } from "pino";

import type { AgentClient } from "../packages/server/src/client/index.js";
import { BotManager, containerIdFor } from "../packages/server/src/manager/index.js";
import { storeRecords } from "../packages/server/src/manager/store-records.js";
import type { ContainerRuntime } from "../packages/server/src/runtime/runtime.js";
import { openStore, type Store } from "../packages/server/src/store/index.js";
import { availableRuntimes, openRuntime } from "../test/support/runtimes.js";
import { type Figure, homeScratchDir, ms, percentile, report, time } from "./support.js";

const BOTS = Number(process.env.BENCH_BOTS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const SNAPSHOT_ROUNDS = Number(process.env.BENCH_SNAPSHOT_ROUNDS ?? 5);
const DATA_MIB = Number(process.env.BENCH_SNAPSHOT_MIB ?? 256);
const WARM_UP = 2;
// Container names (mcp-<botId>) are global to a daemon that tests may share: this run's are its own.
const RUN = `bench${process.pid}`;

/** One backend's host: its runtime, a SQLite store and a manager on a home of its own. */
interface Backend {
  readonly name: string;
  readonly runtime: ContainerRuntime;
  readonly store: Store;
  readonly manager: BotManager;
  /** Every bot this run registered, for the clean-up. */
  readonly bots: Set<string>;
}

async function openBackend(name: string, home: string): Promise<Backend> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const { runtime, image } = await openRuntime(name, home);
  const store = await openStore({ sqlitePath: path.join(home, "botbox.db") });
  const manager = new BotManager({
    runtime,
    records: storeRecords(store),
    image,
    network: "host",
    limits: {},
    startTimeoutMs: 120_000,
    logger: pino({ level: "silent" }),
  });
  return { name, runtime, store, manager, bots: new Set() };
}

async function closeBackend(backend: Backend): Promise<void> {
  for (const botId of backend.bots)
    await backend.manager.deleteContainer(botId).catch((error: unknown) => {
      console.error(`backends: deleting ${botId} on ${backend.name} failed:`, error);
    });
  await backend.manager.close();
  await backend.store.close();
}

async function addBot(backend: Backend, botId: string): Promise<void> {
  await backend.store.createBot({ id: botId, displayName: botId });
  backend.bots.add(botId);
}

async function inBot(backend: Backend, botId: string, command: string): Promise<string> {
  const agent = await backend.manager.agentFor(botId);
  const result = await agent.exec(command, { timeoutSeconds: 600 });
  if (result.exitCode !== 0) throw new Error(`${backend.name} ${command}: exit ${result.exitCode}: ${result.stderr}`);
  return result.stdout;
}

/** Create + start until Info, then delete: one bot's cold start. */
async function coldStart(backend: Backend, botId: string): Promise<number> {
  await addBot(backend, botId);
  const elapsed = await time(async () => {
    const state = await backend.manager.start(botId);
    if (!state.taskRunning) throw new Error(`${botId} is not running after start on ${backend.name}`);
  });
  await backend.manager.deleteContainer(botId);
  backend.bots.delete(botId);
  await backend.store.deleteBot(botId);
  return elapsed;
}

type Samples = Map<string, number[]>;
const samplesOf = (backends: Backend[]): Samples => new Map(backends.map(({ name }) => [name, []]));
const p50 = (samples: Samples, name: string) => percentile(samples.get(name)!, 50);
const summary = (samples: number[]) =>
  `p50 ${ms(percentile(samples, 50))}, p90 ${ms(percentile(samples, 90))}, max ${ms(Math.max(...samples))}`;

async function measureColdStart(backends: Backend[]): Promise<Samples> {
  // The first start on a backend stages the agent or loads the image.
  for (const backend of backends)
    for (let i = 0; i < WARM_UP; i++) {
      const first = await coldStart(backend, `${RUN}-warm-${i}`);
      if (i === 0) console.log(`backends: ${backend.name} first start (staging or image load) ${ms(first)}`);
    }
  const samples = samplesOf(backends);
  for (let i = 0; i < BOTS; i++)
    for (const backend of backends) samples.get(backend.name)!.push(await coldStart(backend, `${RUN}-cold-${i}`));
  return samples;
}

async function measureExec(backends: Backend[]): Promise<Samples> {
  const clients = new Map<string, AgentClient>();
  for (const backend of backends) {
    await addBot(backend, `${RUN}-exec`);
    await backend.manager.start(`${RUN}-exec`);
    clients.set(backend.name, await backend.manager.agentFor(`${RUN}-exec`));
  }
  const execTrue = async (name: string) => {
    const { exitCode } = await clients.get(name)!.exec("true");
    if (exitCode !== 0) throw new Error(`true exited ${exitCode} on ${name}`);
  };
  for (let i = 0; i < 30; i++) for (const { name } of backends) await execTrue(name);
  const samples = samplesOf(backends);
  for (let i = 0; i < ROUNDS; i++)
    for (const { name } of backends) samples.get(name)!.push(await time(() => execTrue(name)));
  for (const backend of backends) await backend.manager.stop(`${RUN}-exec`);
  return samples;
}

interface SnapshotSamples {
  commit: Samples;
  restore: Samples;
  /** Stop + commit + start until Info: the pause a running bot sees. */
  cycle: Samples;
}

async function measureSnapshots(backends: Backend[]): Promise<SnapshotSamples> {
  const botId = `${RUN}-snap`;
  const id = containerIdFor(botId);
  for (const backend of backends) {
    await addBot(backend, botId);
    await backend.manager.start(botId);
    await inBot(backend, botId, `dd if=/dev/urandom of=/data/big bs=1M count=${DATA_MIB} status=none && sync`);
    await backend.manager.stop(botId);
    const first = await time(() => backend.runtime.commitSnapshot(id, "base"));
    console.log(`backends: ${backend.name} first snapshot (of the ${DATA_MIB} MiB in /data) ${ms(first)}`);
  }
  const result: SnapshotSamples = {
    commit: samplesOf(backends),
    restore: samplesOf(backends),
    cycle: samplesOf(backends),
  };
  const change = (backend: Backend, name: string) =>
    inBot(backend, botId, `head -c 1048576 /dev/urandom | tee /data/${name} > /root/${name} && sync`);
  for (let round = 0; round < SNAPSHOT_ROUNDS; round++)
    for (const backend of backends) {
      const { manager, runtime, name } = backend;
      await manager.start(botId);
      await change(backend, `kept-${round}`);
      let commit = 0;
      const cycle = await time(async () => {
        await manager.stop(botId);
        commit = await time(() => runtime.commitSnapshot(id, `round-${round}`));
        await manager.start(botId);
      });
      result.commit.get(name)!.push(commit);
      result.cycle.get(name)!.push(cycle);
      await change(backend, "discarded");
      await manager.stop(botId);
      result.restore.get(name)!.push(await time(() => runtime.restoreSnapshot(id, "base")));
    }
  for (const backend of backends) {
    await backend.manager.start(botId);
    const after = await inBot(backend, botId, "stat -c %s /data/big && ls /data /root");
    if (!after.startsWith(`${DATA_MIB * 2 ** 20}\n`) || /kept|discarded/.test(after))
      throw new Error(`after the restore ${backend.name}'s bot is not its base snapshot: ${after}`);
    await backend.manager.stop(botId);
  }
  return result;
}

export async function benchBackends(): Promise<Figure[]> {
  const names = availableRuntimes();
  const scratch = await homeScratchDir("backends");
  const backends: Backend[] = [];
  try {
    for (const name of names) backends.push(await openBackend(name, path.join(scratch, name)));
    console.log(`backends: ${names.join(", ")}`);
    const cold = await measureColdStart(backends);
    const exec = await measureExec(backends);
    const snapshots = await measureSnapshots(backends);

    const metrics: [string, Samples][] = [
      ["cold start (create + start until Info)", cold],
      ["exec round trip of true", exec],
      [`snapshot commit (${DATA_MIB} MiB in /data, 2 MiB changed)`, snapshots.commit],
      ["snapshot restore", snapshots.restore],
      ["stop + commit + start until Info", snapshots.cycle],
    ];
    for (const [metric, samples] of metrics)
      for (const { name } of backends) console.log(`backends: ${name} ${metric}: ${summary(samples.get(name)!)}`);

    const others = names.filter((name) => name !== "sandbox");
    if (others.length === 0) {
      return [
        report({
          bench: "backends",
          figure: `sandbox only (DOCKER_HOST or BOTBOX_TEST_CONTAINERD_SOCKET adds docker or containerd): cold start p50 ${ms(p50(cold, "sandbox"))}, exec p50 ${ms(p50(exec, "sandbox"))}, commit p50 ${ms(p50(snapshots.commit, "sandbox"))}, restore p50 ${ms(p50(snapshots.restore, "sandbox"))}`,
          ratio: 1,
        }),
      ];
    }
    console.log("\nbackends: p50 ratios to the sandbox");
    console.table(
      Object.fromEntries(
        metrics.map(([metric, samples]) => [
          metric,
          Object.fromEntries(
            others.map((name) => [
              `${name}/sandbox`,
              Number((p50(samples, name) / p50(samples, "sandbox")).toFixed(2)),
            ]),
          ),
        ]),
      ),
    );
    return others.flatMap((name) => {
      const pair = (samples: Samples) => `${name} ${ms(p50(samples, name))} vs sandbox ${ms(p50(samples, "sandbox"))}`;
      const ratio = (samples: Samples) => p50(samples, name) / p50(samples, "sandbox");
      return [
        report({
          bench: `${name}/sandbox cold start`,
          figure: `create + start until Info p50 ${pair(cold)} (${BOTS} bots each)`,
          ratio: ratio(cold),
        }),
        report({
          bench: `${name}/sandbox exec round trip`,
          figure: `true through the agent p50 ${pair(exec)} (${ROUNDS} rounds)`,
          ratio: ratio(exec),
        }),
        report({
          bench: `${name}/sandbox snapshot`,
          figure: `commit p50 ${pair(snapshots.commit)}, restore p50 ${pair(snapshots.restore)}, stop + commit + start p50 ${pair(snapshots.cycle)} (${DATA_MIB} MiB in /data, ${SNAPSHOT_ROUNDS} rounds; ratio of the commits)`,
          ratio: ratio(snapshots.commit),
        }),
      ];
    });
  } finally {
    for (const backend of backends) await closeBackend(backend);
    await rm(scratch, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchBackends();
