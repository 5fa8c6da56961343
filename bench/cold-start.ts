// Cold start of a bot: create its container and start it, done when its own
// agent answers Info (BotManager.start, as `POST /bots/:id/container` does),
// vs `node -e 0` started the same way: the same SandboxRuntime.startTask, so
// the same bwrap flags, host uid, id maps and cgroups, with the agent bundle
// replaced by a script holding `0`, until it exits. Goal: p50 ratio <= 2.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import type { ContainerSpec } from "../packages/server/src/runtime/runtime.js";
import { DEFAULT_IMAGE } from "../packages/server/src/runtime/sandbox/index.js";
import { type Figure, inLab, ms, percentile, report, time } from "./support.js";

const BOTS = Number(process.env.BENCH_BOTS ?? 20);
const WARM_UP = 2;

function emptyBotSpec(botId: string): ContainerSpec {
  return {
    id: `mcp-${botId}`,
    botId,
    image: DEFAULT_IMAGE,
    labels: {},
    env: {},
    network: "host",
    limits: {},
    agentToken: "bench",
  };
}

export async function benchColdStart(): Promise<Figure> {
  return inLab("cold start", async (lab) => {
    const host = await lab.startHost("h");
    // The baseline's runtime has its own home: its staged "agent" is the script `0`.
    const zeroScript = path.join(lab.scratch, "zero.js");
    await writeFile(zeroScript, "0\n");
    const bare = await lab.startHost("b", { agentBundle: zeroScript });
    // For reference: the same agent started without its V8 code cache.
    const uncached = await lab.startHost("u", { agentCodeCache: false });
    const botbox = async (botId: string, subjectHost = host) => {
      await subjectHost.addBot(botId);
      const elapsed = await time(async () => {
        const state = await subjectHost.manager.start(botId);
        if (!state.taskRunning) throw new Error(`${botId} is not running after start`);
      });
      await subjectHost.manager.deleteContainer(botId);
      return elapsed;
    };
    const sandboxedNode = async (botId: string) => {
      const spec = emptyBotSpec(botId);
      await bare.runtime.createContainer(spec);
      const elapsed = await time(async () => {
        await bare.runtime.startTask(spec.id);
        // Bounded: 10 s of 1 ms polls at most.
        for (let i = 0; i < 10_000 && (await bare.runtime.taskInfo(spec.id)).state === "running"; i++) await sleep(1);
        const task = await bare.runtime.taskInfo(spec.id);
        if (task.state === "running" || task.exitCode !== 0) throw new Error(`node -e 0 in a sandbox: ${task.state}`);
      });
      await bare.runtime.deleteContainer(spec.id);
      return elapsed;
    };
    const plainNode = () =>
      time(async () => {
        const child = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
        const [code] = await once(child, "exit");
        if (code !== 0) throw new Error(`node -e 0 exited with ${code}`);
      });

    // The first start stages node and the agent and makes the default image.
    for (let i = 0; i < WARM_UP; i++) {
      await botbox(`warm-${i}`);
      await botbox(`warm-u-${i}`, uncached);
      await sandboxedNode(`warm-${i}`);
      await plainNode();
    }
    const subject: number[] = [];
    const baseline: number[] = [];
    const plain: number[] = [];
    const withoutCache: number[] = [];
    // Interleaved, so drift in machine load hits both sides alike.
    for (let i = 0; i < BOTS; i++) {
      subject.push(await botbox(`cold-${i}`));
      baseline.push(await sandboxedNode(`cold-${i}`));
      plain.push(await plainNode());
      withoutCache.push(await botbox(`cold-u-${i}`, uncached));
    }
    const p50 = percentile(subject, 50);
    const ratio = p50 / percentile(baseline, 50);
    const summary = (samples: number[]) =>
      `p50 ${ms(percentile(samples, 50))}, p90 ${ms(percentile(samples, 90))}, max ${ms(Math.max(...samples))}`;
    console.log(`cold start: manager.start (create + start + Info) ${summary(subject)} over ${BOTS} bots`);
    console.log(
      `cold start: baseline node -e 0 through SandboxRuntime.startTask (same bwrap flags) ${summary(baseline)}`,
    );
    console.log(`cold start: for reference, plain spawn of node -e 0 ${summary(plain)}`);
    console.log(`cold start: for reference, manager.start without the agent's code cache ${summary(withoutCache)}`);
    return report({
      bench: "cold start",
      figure: `create + start until Info p50 ${ms(p50)}; node -e 0 in the same sandbox p50 ${ms(percentile(baseline, 50))}; plain node -e 0 p50 ${ms(percentile(plain, 50))} (${BOTS} bots)`,
      ratio,
      goal: "<= 2",
      met: ratio <= 2,
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) await benchColdStart();
