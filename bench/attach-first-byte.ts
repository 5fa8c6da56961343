// Attaching to a running supervised process until its first byte of output
// arrives (ProcessService.Attach from offset 0, replaying what the process
// printed) vs an exec round trip of `true` (ContainerService.Exec) on the
// same agent over its Unix socket: how much a client pays to look at a
// background process against running a command. No goal in the issue
// beyond reporting the ratio; both sides are one gRPC call to one agent.
import { AgentClient } from "../packages/server/src/client/index.js";
import { ProcessClient } from "../packages/server/src/client/process-client.js";
import { type Figure, interleaved, ms, percentile, report, startAgentProcess } from "./support.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);
const TOKEN = "bench";

export async function benchAttachFirstByte(): Promise<Figure> {
  const agent = await startAgentProcess({ token: TOKEN });
  const endpoint = { address: agent.address, token: TOKEN };
  const exec = new AgentClient(endpoint);
  const processes = new ProcessClient(endpoint);
  try {
    const started = await processes.start({ shell: "echo ready; exec sleep 600" }, { tag: "bench" });
    const firstByte = async () => {
      const controller = new AbortController();
      for await (const event of processes.attach({ id: started.id }, { signal: controller.signal })) {
        if (event.type === "output" && event.data.length > 0) break;
        if (event.type === "exit") throw new Error("the process ended before printing");
      }
      controller.abort();
    };
    const execTrue = async () => {
      const { exitCode } = await exec.exec("true");
      if (exitCode !== 0) throw new Error(`exit ${exitCode}`);
    };
    const { baseline, subject } = await interleaved(execTrue, firstByte, ROUNDS);
    await processes.signal({ id: started.id }, "KILL");
    const ratio = percentile(subject, 50) / percentile(baseline, 50);
    return report({
      bench: "attach to first byte",
      figure: `attach p50 ${ms(percentile(subject, 50))} p99 ${ms(percentile(subject, 99))}, exec of true p50 ${ms(percentile(baseline, 50))} p99 ${ms(percentile(baseline, 99))} (${ROUNDS} rounds)`,
      ratio,
    });
  } finally {
    processes.close();
    exec.close();
    await agent.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchAttachFirstByte();
