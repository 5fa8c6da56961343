// ReadFile of a small file by 64 concurrent callers vs in-process
// fs.readFile with the same concurrency. No goal: the figure to watch.
import { readFile } from "node:fs/promises";
import path from "node:path";

import { AgentClient } from "../packages/server/src/client/index.js";
import { type Figure, report, scratchDir, startAgentProcess } from "./support.js";

const CALLERS = 64;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);

async function opsPerSecond(operation: () => Promise<unknown>): Promise<number> {
  let done = 0;
  const deadline = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (Date.now() < deadline) {
        await operation();
        done++;
      }
    }),
  );
  return done / SECONDS;
}

export async function benchReadFileConcurrency(): Promise<Figure> {
  const dir = await scratchDir("readfile");
  const agent = await startAgentProcess({ dataDir: path.join(dir, "data"), token: "bench" });
  const client = new AgentClient({ address: agent.address, token: "bench" });
  try {
    const text = Array.from({ length: 40 }, (_, i) => `line ${i} of a small file that an LLM reads`).join("\n");
    await client.writeFile("small.txt", text);
    const local = path.join(agent.dataDir, "small.txt");
    await opsPerSecond(() => client.readFile("small.txt"));
    const baseline = await opsPerSecond(() => readFile(local, "utf8"));
    const subject = await opsPerSecond(() => client.readFile("small.txt"));
    return report({
      bench: `ReadFile x${CALLERS} concurrent`,
      figure: `agent ${subject.toFixed(0)} ops/s, in-process fs.readFile ${baseline.toFixed(0)} ops/s`,
      ratio: subject / baseline,
    });
  } finally {
    client.close();
    await agent.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchReadFileConcurrency();
