// Exec of `true` through the agent over a Unix socket vs spawning
// `/bin/sh -c true` directly from this process. Goal: p50 ratio <= 1.3.
import { spawn } from "node:child_process";
import { once } from "node:events";

import { AgentClient } from "../packages/server/src/client/index.js";
import { type Figure, interleaved, ms, percentile, report, startAgentProcess } from "./support.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);

export async function benchExecRoundTrip(): Promise<Figure> {
  const agent = await startAgentProcess({ token: "bench" });
  const client = new AgentClient({ address: agent.address, token: "bench" });
  try {
    const direct = async () => {
      // Default stdio (pipes), and done when they close, as a caller reading
      // the output would be.
      const child = spawn("/bin/sh", ["-c", "true"]);
      await once(child, "close");
    };
    const viaAgent = async () => {
      const { exitCode } = await client.exec("true");
      if (exitCode !== 0) throw new Error(`exit ${exitCode}`);
    };
    const { baseline, subject } = await interleaved(direct, viaAgent, ROUNDS);
    const ratio = percentile(subject, 50) / percentile(baseline, 50);
    return report({
      bench: "exec round trip",
      figure: `agent p50 ${ms(percentile(subject, 50))} p99 ${ms(percentile(subject, 99))}, spawn p50 ${ms(percentile(baseline, 50))} p99 ${ms(percentile(baseline, 99))} (${ROUNDS} rounds)`,
      ratio,
      goal: "<= 1.3",
      met: ratio <= 1.3,
    });
  } finally {
    client.close();
    await agent.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchExecRoundTrip();
