// What the default "isolated" network costs (issue 13 §8): a bot's cold start
// (create + start until its agent answers Info) with network "isolated" vs
// "none", and an exec round trip in each. Both hosts run in the same process,
// interleaved, so drift in machine load hits both alike. Goals: the network
// adds less than 30 ms of p50 to a cold start; exec p50 within 10 %.
import path from "node:path";

import {
  type Figure,
  homeScratchDir,
  type Host,
  ms,
  percentile,
  removeSandboxes,
  report,
  startHost,
  time,
} from "./support.js";

const BOTS = Number(process.env.BENCH_BOTS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);

export async function benchNetworkIsolation(): Promise<Figure[]> {
  if (process.getuid?.() !== 0) {
    console.log("network isolation: skipped, isolated networking needs root");
    return [];
  }
  const scratch = await homeScratchDir("net");
  const hosts: Host[] = [];
  try {
    const isolated = await startHost(path.join(scratch, "i"), { network: "isolated" });
    hosts.push(isolated);
    const none = await startHost(path.join(scratch, "n"), { network: "none" });
    hosts.push(none);
    const coldStart = async (host: Host, botId: string) => {
      await host.addBot(botId);
      const elapsed = await time(async () => {
        if (!(await host.manager.start(botId)).taskRunning) throw new Error(`${botId} is not running`);
      });
      await host.manager.deleteContainer(botId);
      return elapsed;
    };
    for (let i = 0; i < 2; i++) {
      await coldStart(isolated, `warm-${i}`);
      await coldStart(none, `warm-${i}`);
    }
    const starts = { isolated: [] as number[], none: [] as number[] };
    for (let i = 0; i < BOTS; i++) {
      starts.isolated.push(await coldStart(isolated, `cold-${i}`));
      starts.none.push(await coldStart(none, `cold-${i}`));
    }
    const added = percentile(starts.isolated, 50) - percentile(starts.none, 50);
    const startFigure = report({
      bench: "cold start, isolated vs none network",
      figure: `isolated p50 ${ms(percentile(starts.isolated, 50))} p90 ${ms(percentile(starts.isolated, 90))}, none p50 ${ms(percentile(starts.none, 50))} p90 ${ms(percentile(starts.none, 90))}; the network adds ${ms(added)} of p50 (${BOTS} bots)`,
      ratio: percentile(starts.isolated, 50) / percentile(starts.none, 50),
      goal: "network adds < 30 ms of p50",
      met: added < 30,
    });

    const figures = [startFigure];
    if (isolated.runtime.capabilities.gvisor) {
      const gvisor = await startHost(path.join(scratch, "g"), { network: "isolated", isolation: "gvisor" });
      hosts.push(gvisor);
      await coldStart(gvisor, "warm-g");
      const gvisorStarts: number[] = [];
      const namespaceStarts: number[] = [];
      for (let i = 0; i < Math.min(BOTS, 8); i++) {
        gvisorStarts.push(await coldStart(gvisor, `g-${i}`));
        namespaceStarts.push(await coldStart(isolated, `n-${i}`));
      }
      figures.push(
        report({
          bench: "cold start, gVisor vs namespaces (isolated network)",
          figure: `gvisor p50 ${ms(percentile(gvisorStarts, 50))}, namespaces p50 ${ms(percentile(namespaceStarts, 50))} (${gvisorStarts.length} bots)`,
          ratio: percentile(gvisorStarts, 50) / percentile(namespaceStarts, 50),
        }),
      );
    }

    for (const host of [isolated, none]) {
      await host.addBot("exec");
      await host.manager.start("exec");
    }
    const clients = { isolated: await isolated.manager.agentFor("exec"), none: await none.manager.agentFor("exec") };
    const exec = async (name: keyof typeof clients) =>
      time(async () => {
        const { exitCode } = await clients[name].exec("true");
        if (exitCode !== 0) throw new Error(`exit ${exitCode}`);
      });
    for (let i = 0; i < 30; i++) {
      await exec("isolated");
      await exec("none");
    }
    const rounds = { isolated: [] as number[], none: [] as number[] };
    for (let i = 0; i < ROUNDS; i++) {
      rounds.isolated.push(await exec("isolated"));
      rounds.none.push(await exec("none"));
    }
    const execRatio = percentile(rounds.isolated, 50) / percentile(rounds.none, 50);
    const execFigure = report({
      bench: "exec round trip, isolated vs none network",
      figure: `isolated p50 ${ms(percentile(rounds.isolated, 50))} p99 ${ms(percentile(rounds.isolated, 99))}, none p50 ${ms(percentile(rounds.none, 50))} p99 ${ms(percentile(rounds.none, 99))} (${ROUNDS} rounds)`,
      ratio: execRatio,
      goal: "<= 1.1",
      met: execRatio <= 1.1,
    });
    return [...figures, execFigure];
  } finally {
    for (const host of hosts) await host.close();
    const left = await removeSandboxes(scratch);
    if (left > 0) console.error(`network isolation: ${left} sandboxes were left and removed`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchNetworkIsolation();
