// Resident memory of an idle agent after a few calls, next to an idle bare
// `node` process as the floor Node.js itself sets. Goal: <= 35 MB RSS.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFile } from "node:fs/promises";

import { AgentClient } from "../packages/server/src/client/index.js";
import { type Figure, report, startAgentProcess } from "./support.js";

interface Memory {
  rss: number;
  anon: number;
  file: number;
}

async function memoryOf(pid: number): Promise<Memory> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rss: kib("VmRSS") / 1024, anon: kib("RssAnon") / 1024, file: kib("RssFile") / 1024 };
}

const describe = (m: Memory) =>
  `${m.rss.toFixed(1)} MB (private anon ${m.anon.toFixed(1)} MB, shared file pages ${m.file.toFixed(1)} MB)`;
const settle = () => new Promise((resolve) => setTimeout(resolve, 2000));

export async function benchAgentRss(): Promise<Figure> {
  const bare = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  const agent = await startAgentProcess({ token: "bench" });
  const client = new AgentClient({ address: agent.address, token: "bench" });
  try {
    await client.writeFile("a.txt", "hello\n");
    await client.readFile("a.txt");
    await client.exec("true");
    await settle();
    const agentMemory = await memoryOf(agent.child.pid!);
    const bareMemory = await memoryOf(bare.pid!);
    return report({
      bench: "agent idle RSS",
      figure: `agent ${describe(agentMemory)}; bare node ${describe(bareMemory)}`,
      ratio: agentMemory.rss / bareMemory.rss,
      goal: "<= 35 MB RSS",
      met: agentMemory.rss <= 35,
    });
  } finally {
    client.close();
    await agent.stop();
    bare.kill();
    await once(bare, "exit");
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchAgentRss();
