// A bot that spins every core must not slow its neighbour much (issue 13 §3):
// the neighbour's exec round trip p50 while another bot runs two busy loops,
// against its own p50 with the machine idle, in the same run. Both bots get
// the server's default limits (one CPU each), as `botbox serve` gives them.
// Goal: ratio <= 3.

import { type Figure, inLab, ms, percentile, report, time } from "./support.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);

export async function benchNoisyNeighbour(): Promise<Figure> {
  return inLab("noisy neighbour", async (lab) => {
    const host = await lab.startHost("h", { limits: { cpus: 1, pids: 1024, memoryBytes: 2 * 2 ** 30 } });
    for (const id of ["quiet", "noisy"]) {
      await host.addBot(id);
      await host.manager.start(id);
    }
    const quiet = await host.manager.agentFor("quiet");
    const noisy = await host.manager.agentFor("noisy");
    const roundTrips = async () => {
      const samples: number[] = [];
      for (let i = 0; i < ROUNDS; i++)
        samples.push(
          await time(async () => {
            if ((await quiet.exec("true")).exitCode !== 0) throw new Error("exec failed");
          }),
        );
      return samples;
    };
    for (let i = 0; i < 30; i++) await quiet.exec("true");
    const idle = await roundTrips();
    // Two busy loops, one per core of this machine, ended by the bot's own timeout.
    const spinning = noisy.exec("timeout 120 sh -c 'while :; do :; done & while :; do :; done & wait'");
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const loaded = await roundTrips();
    await noisy.exec("pkill -f 'while :' || true");
    await spinning.catch(() => undefined);
    const ratio = percentile(loaded, 50) / percentile(idle, 50);
    return report({
      bench: "noisy neighbour",
      figure: `exec p50 ${ms(percentile(loaded, 50))} (p99 ${ms(percentile(loaded, 99))}) beside a bot spinning two cores, ${ms(percentile(idle, 50))} (p99 ${ms(percentile(idle, 99))}) idle (${ROUNDS} rounds)`,
      ratio,
      goal: "<= 3",
      met: ratio <= 3,
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) await benchNoisyNeighbour();
