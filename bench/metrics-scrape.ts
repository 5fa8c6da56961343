// What a Prometheus scrape of GET /metrics costs with 50 running bots
// (docs/metrics.md): a cold scrape reads every bot's state and cgroup
// counters (one taskInfo per container, at most 8 at once); one within 2 s
// of the last answers the kept sample. Baseline: the same scrape of a server
// with no bots. Goal: a cold scrape of 50 bots < 100 ms.
import { setTimeout as sleep } from "node:timers/promises";

import { type BotboxServer, startBotboxServer } from "../test/support/botbox-server.js";
import { type Figure, forEachLimit, homeScratchDir, ms, percentile, removeSandboxes, report, time } from "./support.js";

const BOTS = Number(process.env.BENCH_BOTS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
/** Longer than the sampler's 2 s cache (metrics/bot-usage.ts), so each timed scrape reads the bots anew. */
const COLD_GAP_MS = 2100;

async function scrape(server: BotboxServer): Promise<string> {
  const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${server.adminToken}` } });
  if (response.status !== 200) throw new Error(`GET /metrics: ${response.status} ${await response.text()}`);
  return response.text();
}

async function scrapeTimes(server: BotboxServer): Promise<{ cold: number[]; warm: number[] }> {
  const cold: number[] = [];
  const warm: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    await sleep(COLD_GAP_MS);
    cold.push(await time(() => scrape(server)));
    warm.push(await time(() => scrape(server)));
  }
  return { cold, warm };
}

export async function benchMetricsScrape(): Promise<Figure> {
  const scratch = await homeScratchDir("metrics-scrape");
  const servers: BotboxServer[] = [];
  const ids = Array.from({ length: BOTS }, (_, i) => `scrape-${i}`);
  try {
    const empty = await startBotboxServer({ home: `${scratch}/e` });
    servers.push(empty);
    const baseline = await scrapeTimes(empty);
    const server = await startBotboxServer({ home: `${scratch}/h` });
    servers.push(server);
    await forEachLimit(ids, 4, async (id) => {
      for (const [method, route, body] of [
        ["POST", "/bots", { id, name: id }],
        ["POST", `/bots/${id}/container`, undefined],
      ] as const) {
        const answer = await server.api(method, route, body);
        if (answer.status >= 300)
          throw new Error(`${method} ${route}: ${answer.status} ${JSON.stringify(answer.body)}`);
      }
    });
    const text = await scrape(server);
    const running = /^botbox_bots\{state="running"\} (\d+)$/m.exec(text)?.[1];
    if (Number(running) !== BOTS) throw new Error(`the scrape counts ${running} running bots, not ${BOTS}`);
    const withBots = await scrapeTimes(server);
    const p50 = percentile(withBots.cold, 50);
    for (const id of ids) await server.api("DELETE", `/bots/${id}`);
    return report({
      bench: "metrics-scrape",
      figure: `GET /metrics with ${BOTS} running bots: cold ${ms(p50)} (max ${ms(Math.max(...withBots.cold))}), within the 2 s cache ${ms(percentile(withBots.warm, 50))}; no bots: cold ${ms(percentile(baseline.cold, 50))}, ${text.length} bytes of text`,
      ratio: p50 / percentile(baseline.cold, 50),
      goal: "< 100 ms",
      met: p50 < 100,
    });
  } finally {
    for (const server of servers) await server.stop();
    let left = 0;
    for (const folder of [`${scratch}/h`, `${scratch}/e`, scratch]) left += await removeSandboxes(folder);
    if (left > 0) console.error(`metrics-scrape: ${left} sandboxes were left and removed`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchMetricsScrape();
