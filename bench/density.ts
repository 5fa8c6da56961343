// 100 bots running at once on one host (sandbox runtime + manager in this
// process): memory per bot, counting every process the bot has on the host
// (bwrap's monitor outside the sandbox, bwrap's init inside, the agent), as
// RSS and as PSS, which splits shared pages (the node binary, libraries)
// among the processes that map them, and as the kernel charges each bot's
// memory cgroup (where the machine has one). Baseline: one bare idle `node`.
// Goal: <= 35 MB RSS per bot.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";

import { containerIdFor } from "../packages/server/src/manager/index.js";
import { BotCgroup, detectCgroups } from "../packages/server/src/runtime/sandbox/cgroups.js";
import {
  type Figure,
  forEachLimit,
  inLab,
  mb,
  percentile,
  type ProcessMemory,
  processMemory,
  processTable,
  processTree,
  report,
  sumMemory,
} from "./support.js";

const BOTS = Number(process.env.BENCH_BOTS ?? 100);
const CONCURRENCY = 4;

const describe = (m: ProcessMemory) =>
  `RSS ${mb(m.rss)} (anon ${mb(m.rssAnon)}, file ${mb(m.rssFile)}), PSS ${mb(m.pss)} (anon ${mb(m.pssAnon)}, file ${mb(m.pssFile)})`;

interface BotMemory {
  total: ProcessMemory;
  monitor: ProcessMemory;
  init: ProcessMemory;
  agent: ProcessMemory;
  processes: number;
  /** MB charged to the bot's memory cgroup; undefined without one. */
  charged?: number;
}

export async function benchDensity(): Promise<Figure> {
  const bare = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  try {
    return await inLab("density", async (lab) => {
      const host = await lab.startHost("h");
      const ids = Array.from({ length: BOTS }, (_, i) => `density-${i}`);
      await sleep(2000);
      const bareAlone = await processMemory(bare.pid!);
      const hostBefore = await processMemory(process.pid);

      const started = Date.now();
      await forEachLimit(ids, CONCURRENCY, async (botId) => {
        await host.addBot(botId);
        await host.manager.start(botId);
      });
      const startSeconds = (Date.now() - started) / 1000;
      // A few calls each, as a bot in use gets (and as bench/agent-rss.ts does).
      await forEachLimit(ids, CONCURRENCY, async (botId) => {
        const agent = await host.manager.agentFor(botId);
        await agent.writeFile("a.txt", "hello\n");
        await agent.readFile("a.txt");
        const { exitCode } = await agent.exec("true");
        if (exitCode !== 0) throw new Error(`exec in ${botId} exited with ${exitCode}`);
      });
      await sleep(2000);

      const table = await processTable();
      const cgroups = await detectCgroups();
      const bots: BotMemory[] = [];
      for (const botId of ids) {
        const { pid, taskRunning } = await host.manager.state(botId);
        if (!taskRunning || pid === undefined) throw new Error(`${botId} is not running`);
        const monitorPid = table.get(pid)?.ppid;
        if (monitorPid === undefined || table.get(monitorPid)?.comm !== "bwrap")
          throw new Error(`${botId}: the parent of the sandbox's init ${pid} is not bwrap`);
        const inside = processTree(table, pid);
        const agentPid = inside.find((candidate) => table.get(candidate)?.comm === "node");
        if (agentPid === undefined) throw new Error(`${botId}: no agent process under ${pid}`);
        const [monitor, init, agent, ...rest] = await Promise.all(
          [monitorPid, pid, agentPid, ...inside.filter((other) => other !== pid && other !== agentPid)].map(
            processMemory,
          ),
        );
        const charged = await BotCgroup.for(cgroups, containerIdFor(botId)).memoryUsageBytes();
        bots.push({
          charged: charged === undefined ? undefined : charged / 2 ** 20,
          total: sumMemory([monitor!, init!, agent!, ...rest]),
          monitor: monitor!,
          init: init!,
          agent: agent!,
          processes: inside.length + 1,
        });
      }
      const bareBeside = await processMemory(bare.pid!);
      const hostAfter = await processMemory(process.pid);

      const mean = (pick: (bot: BotMemory) => ProcessMemory) => {
        const total = sumMemory(bots.map(pick));
        for (const key of Object.keys(total) as (keyof ProcessMemory)[]) total[key] /= bots.length;
        return total;
      };
      const perBot = mean((bot) => bot.total);
      const rss = bots.map((bot) => bot.total.rss);
      const pss = bots.map((bot) => bot.total.pss);
      const allPss = pss.reduce((a, b) => a + b, 0);
      console.log(`density: ${BOTS} bots started in ${startSeconds.toFixed(1)} s, ${CONCURRENCY} at a time`);
      console.log(`density: per bot (mean of ${BOTS}, ${bots[0]!.processes} processes each): ${describe(perBot)}`);
      console.log(
        `density: per bot RSS p50 ${mb(percentile(rss, 50))} max ${mb(Math.max(...rss))}; PSS p50 ${mb(percentile(pss, 50))} max ${mb(Math.max(...pss))}; all ${BOTS} bots PSS ${mb(allPss)}`,
      );
      const charges = bots.flatMap((bot) => (bot.charged === undefined ? [] : [bot.charged]));
      const charged =
        charges.length === bots.length
          ? `${mb(charges.reduce((a, b) => a + b, 0) / charges.length)} (p50 ${mb(percentile(charges, 50))}, max ${mb(Math.max(...charges))})`
          : `not measured (${cgroups.mode === "none" ? cgroups.reason : "some bots have no memory cgroup"})`;
      console.log(`density: per bot charged to its memory cgroup: ${charged}`);
      console.log(`density:   agent (node)      ${describe(mean((bot) => bot.agent))}`);
      console.log(`density:   sandbox init      ${describe(mean((bot) => bot.init))}`);
      console.log(`density:   bwrap monitor     ${describe(mean((bot) => bot.monitor))}`);
      console.log(`density: baseline bare node alone          ${describe(bareAlone)}`);
      console.log(`density: baseline bare node beside the bots ${describe(bareBeside)}`);
      console.log(`density: host (this process: runtime, manager, store, pool) before ${describe(hostBefore)}`);
      console.log(`density: host with ${BOTS} bots and their channels              ${describe(hostAfter)}`);
      const ratio = perBot.rss / bareBeside.rss;
      return report({
        bench: "density",
        figure: `${BOTS} bots: per bot RSS ${mb(perBot.rss)}, PSS ${mb(perBot.pss)}, cgroup charge ${charges.length ? mb(charges.reduce((a, b) => a + b, 0) / charges.length) : "-"} (agent alone RSS ${mb(mean((bot) => bot.agent).rss)}); bare node RSS ${mb(bareBeside.rss)}, PSS ${mb(bareBeside.pss)}; host RSS ${mb(hostAfter.rss)} (${mb(hostBefore.rss)} before the bots)`,
        ratio,
        goal: "<= 35 MB RSS per bot",
        met: perBot.rss <= 35,
      });
    });
  } finally {
    bare.kill();
    if (bare.exitCode === null && bare.signalCode === null) await once(bare, "exit");
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchDensity();
