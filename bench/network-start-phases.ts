// Where an isolated cold start's time goes, on the runtime directly:
// createContainer, startTask (the runtime's part, network included) and the
// wait until the agent answers Info, for isolated from the namespace pool,
// isolated with the pool off, and none; in rotating order, the pool refilled
// after each pooled start before anything else is timed. A companion to
// network-isolation.ts, whose full-start p50s need a quiet machine to resolve
// a few tens of milliseconds: `startTask` varies far less than the agent's boot.
import { chmod, rm } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import { SandboxRuntime } from "../packages/server/src/runtime/sandbox/index.js";
import { botSpec, makeHome, waitForAgent } from "../test/runtime/support.js";
import { AGENT_BUNDLE } from "../test/support/agent-process.js";
import { ms, percentile } from "./support.js";

const STARTS = Number(process.env.BENCH_BOTS ?? 20);
const POOL_SIZE = 2;
const PHASES = ["create", "startTask", "agent"] as const;

if (process.getuid?.() !== 0) {
  console.log("network start phases: skipped, isolated networking needs root");
} else {
  const home = await makeHome();
  // Bots run as their own host uids, which must be able to walk down to their folders.
  await chmod(home, 0o711);
  const runtimes = {
    pooled: new SandboxRuntime({ home: path.join(home, "p"), agentBundle: AGENT_BUNDLE, networkPool: POOL_SIZE }),
    unpooled: new SandboxRuntime({ home: path.join(home, "u"), agentBundle: AGENT_BUNDLE, networkPool: 0 }),
    none: new SandboxRuntime({ home: path.join(home, "n"), agentBundle: AGENT_BUNDLE }),
  };
  const names = Object.keys(runtimes) as (keyof typeof runtimes)[];
  const samples = Object.fromEntries(
    names.map((name) => [name, { create: [] as number[], startTask: [] as number[], agent: [] as number[] }]),
  );
  const refilled = async () => {
    for (let wait = 0; wait < 150 && runtimes.pooled.networkPoolReady < POOL_SIZE; wait++) await sleep(20);
  };
  const startOnce = async (name: keyof typeof runtimes, record: boolean) => {
    const runtime = runtimes[name];
    const spec = botSpec({ network: name === "none" ? "none" : "isolated" });
    const marks = [performance.now()];
    await runtime.createContainer(spec);
    marks.push(performance.now());
    await runtime.startTask(spec.id);
    marks.push(performance.now());
    const { client } = await waitForAgent(runtime, spec.id, 30_000);
    marks.push(performance.now());
    client.close();
    await runtime.stopTask(spec.id, { timeoutMs: 2_000 });
    await runtime.deleteContainer(spec.id);
    if (record) PHASES.forEach((phase, index) => samples[name]![phase].push(marks[index + 1]! - marks[index]!));
    if (name === "pooled") await refilled();
  };
  try {
    // The first round warms caches and starts the pool; it is not counted.
    for (let round = 0; round <= STARTS; round++)
      for (let k = 0; k < names.length; k++) await startOnce(names[(round + k) % names.length]!, round > 0);
    for (const name of names) {
      const p50 = (phase: (typeof PHASES)[number]) => percentile(samples[name]![phase], 50);
      console.log(
        `start phases, ${name}: create ${ms(p50("create"))}, startTask ${ms(p50("startTask"))}, agent answers ${ms(p50("agent"))} (p50 of ${STARTS})`,
      );
    }
  } finally {
    for (const runtime of Object.values(runtimes)) await runtime.close();
    await rm(home, { recursive: true, force: true });
  }
}
