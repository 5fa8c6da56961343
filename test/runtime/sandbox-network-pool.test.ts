// The pool of network namespaces made ahead for isolated bots
// (runtime/sandbox/network/netns-pool.ts): each pooled namespace and its
// slirp4netns go to one bot only and never back to the pool; a bot with
// egress rules of its own gets them in a pooled namespace; nothing of the
// pool outlives a stop, a delete, a closed runtime, an exiting process or a
// killed server. Real namespaces, nft and slirp4netns, as root.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { readdir, readFile, readlink, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import type { ContainerSpec } from "../../packages/server/src/runtime/runtime.js";
import { SandboxRuntime } from "../../packages/server/src/runtime/sandbox/index.js";
import { botPaths } from "../../packages/server/src/runtime/sandbox/layout.js";
import { detectIsolation } from "../../packages/server/src/runtime/sandbox/network/index.js";
import type { TaskRecord } from "../../packages/server/src/runtime/sandbox/task-record.js";
import { AGENT_BUNDLE } from "../support/agent-process.js";
import { botSpec, makeHome, sandboxSuite } from "./support.js";

const run = promisify(execFile);
const support = process.getuid?.() === 0 ? detectIsolation() : { ok: false, reason: "needs root" };
const POOL_SIZE = 2;

interface PoolEntry {
  holder: { pid: number };
  slirp?: { pid: number };
}

/** The pool's complete entries, from its records on disk. */
async function poolEntries(home: string): Promise<PoolEntry[]> {
  const dir = path.join(home, "netpool");
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith(".json"));
  const entries = await Promise.all(
    names.map(async (name) => JSON.parse(await readFile(path.join(dir, name), "utf8")) as PoolEntry),
  );
  return entries.filter((entry) => entry.slirp !== undefined);
}

async function waitForPool(home: string, count: number): Promise<PoolEntry[]> {
  for (let waited = 0; waited < 15_000; waited += 50) {
    const entries = await poolEntries(home);
    if (entries.length >= count) return entries;
    await sleep(50);
  }
  throw new Error(`the pool did not reach ${count} entries within 15 s`);
}

const netnsOf = (pid: number) => readlink(`/proc/${pid}/ns/net`);
const alive = (pid: number) =>
  readFile(`/proc/${pid}/stat`, "utf8").then(
    (stat) => !/^\d+ \(.*\) [ZX]/.test(stat),
    () => false,
  );

async function untilDead(pid: number): Promise<boolean> {
  for (let waited = 0; waited < 5_000; waited += 50) {
    if (!(await alive(pid))) return true;
    await sleep(50);
  }
  return false;
}

describe(
  "sandbox network namespace pool",
  { skip: !support.ok && `isolated networking: ${"reason" in support ? support.reason : ""}` },
  () => {
    const suite = sandboxSuite({ networkPool: POOL_SIZE }, { startTimeoutMs: 30_000 });

    const task = async (spec: ContainerSpec) =>
      JSON.parse(await readFile(botPaths(suite.home, spec.botId).task, "utf8")) as TaskRecord;
    const start = async (overrides: Partial<ContainerSpec> = {}) => {
      const [spec, client] = await suite.started({ network: "isolated", ...overrides });
      return { spec, client, task: await task(spec) };
    };
    const rules = async (pid: number) =>
      (await run("nsenter", [`--net=/proc/${pid}/ns/net`, "nft", "list", "table", "inet", "botbox"])).stdout;

    before(async () => {
      // The pool fills from the first isolated use on.
      const first = await start();
      await suite.runtime.stopTask(first.spec.id, { timeoutMs: 2_000 });
    });

    it("two bots get two different pooled namespaces and slirp4netns, and neither goes back to the pool", async () => {
      const pooled = await waitForPool(suite.home, POOL_SIZE);
      const pooledNamespaces = await Promise.all(pooled.map((entry) => netnsOf(entry.holder.pid)));
      const [a, b] = await Promise.all([start(), start()]);
      const [netnsA, netnsB] = [await netnsOf(a.task.pid), await netnsOf(b.task.pid)];
      assert.ok(pooledNamespaces.includes(netnsA), "bot A runs in a namespace from the pool");
      assert.ok(pooledNamespaces.includes(netnsB), "bot B runs in a namespace from the pool");
      assert.notEqual(netnsA, netnsB, "the two bots share no namespace");
      assert.notEqual(a.task.network!.slirp.pid, b.task.network!.slirp.pid, "nor a slirp4netns");
      // The holders are gone and the entries left the pool: only the bots keep the namespaces.
      for (const entry of pooled) assert.ok(await untilDead(entry.holder.pid), `holder ${entry.holder.pid} ended`);
      const refilled = await waitForPool(suite.home, POOL_SIZE);
      for (const entry of refilled) {
        assert.ok(![netnsA, netnsB].includes(await netnsOf(entry.holder.pid)), "a bot's namespace is back in the pool");
        assert.ok(
          ![a, b].some((bot) => bot.task.network!.slirp.pid === entry.slirp!.pid),
          "a bot's slirp4netns is back in the pool",
        );
      }
      // Each bot has a working link and the default rules.
      for (const bot of [a, b]) {
        assert.match(await rules(bot.task.pid), /ip daddr @blocked4 jump refuse/);
        const routes = (await bot.client.exec("cat /proc/net/route")).stdout;
        assert.match(routes, /^tap0\s+00000000\s+0202000A/m, "a default route through slirp4netns's gateway 10.0.2.2");
      }
      // A stop ends the bot's slirp4netns, a delete the rest; neither feeds the pool.
      await suite.runtime.stopTask(a.spec.id, { timeoutMs: 2_000 });
      assert.ok(await untilDead(a.task.network!.slirp.pid), "A's slirp4netns ended with its task");
      await suite.runtime.stopTask(b.spec.id, { timeoutMs: 2_000 });
      await suite.runtime.deleteContainer(b.spec.id);
      assert.ok(await untilDead(b.task.network!.slirp.pid), "B's slirp4netns ended with its container");
      const slirps = (await poolEntries(suite.home)).map((entry) => entry.slirp!.pid);
      assert.ok(!slirps.includes(a.task.network!.slirp.pid) && !slirps.includes(b.task.network!.slirp.pid));
    });

    it("a bot with egress rules of its own gets them in a pooled namespace; a default bot keeps the default", async () => {
      const pooledNamespaces = await Promise.all(
        (await waitForPool(suite.home, POOL_SIZE)).map((e) => netnsOf(e.holder.pid)),
      );
      const [custom, plain] = await Promise.all([
        start({ egress: { allow: ["192.0.2.0/24"], deny: ["198.51.100.7/32"] } }),
        start(),
      ]);
      assert.ok(pooledNamespaces.includes(await netnsOf(custom.task.pid)), "the custom bot took a pooled namespace");
      assert.ok(pooledNamespaces.includes(await netnsOf(plain.task.pid)), "the default bot took a pooled namespace");
      const customRules = await rules(custom.task.pid);
      assert.match(customRules, /set allow4 \{[^}]*elements = \{ 192\.0\.2\.0\/24 \}/s);
      assert.match(customRules, /set deny4 \{[^}]*elements = \{ 198\.51\.100\.7 \}/s);
      assert.doesNotMatch(
        customRules,
        /@blocked4/,
        "an allow-list refuses everything else, not just the blocked ranges",
      );
      const plainRules = await rules(plain.task.pid);
      assert.match(plainRules, /ip daddr @blocked4 jump refuse/);
      // Its allow set is empty: nothing of the other bot's rules in its namespace.
      assert.match(plainRules, /set allow4 \{[^}]*\}/s);
      assert.doesNotMatch(
        /set allow4 \{[^}]*\}/s.exec(plainRules)![0],
        /elements/,
        "the other bot's allow-list leaked",
      );
    });

    it("closing the runtime ends the pool's namespaces and slirp4netns", async () => {
      const separate = await makeHome();
      const own = new SandboxRuntime({ home: separate, agentBundle: AGENT_BUNDLE, networkPool: POOL_SIZE });
      try {
        const spec = botSpec({ network: "isolated" });
        await own.createContainer(spec); // the first isolated use starts the fill
        const entries = await waitForPool(separate, POOL_SIZE);
        await own.close();
        for (const entry of entries) {
          assert.ok(await untilDead(entry.holder.pid), "the holder ended");
          assert.ok(await untilDead(entry.slirp!.pid), "the slirp4netns ended");
        }
        assert.deepEqual(await poolEntries(separate), []);
        await own.deleteContainer(spec.id);
      } finally {
        await rm(separate, { recursive: true, force: true });
      }
    });

    for (const ending of ["exits without closing its runtime", "is killed"] as const)
      it(`a server process that ${ending} leaves no pooled namespace running`, async () => {
        const separate = await makeHome();
        try {
          const script = path.join(separate, "owner.mts");
          const runtimeModule = fileURLToPath(
            new URL("../../packages/server/src/runtime/sandbox/index.ts", import.meta.url),
          );
          await writeFile(
            script,
            // The exit on SIGUSR2 is set up first: the pool can fill before the
            // container is made, and an unhandled SIGUSR2 would kill the process
            // without its exit handlers.
            `process.on("SIGUSR2", () => process.exit(0));
import { SandboxRuntime } from ${JSON.stringify(runtimeModule)};
const runtime = new SandboxRuntime({ home: ${JSON.stringify(separate)}, agentBundle: ${JSON.stringify(AGENT_BUNDLE)}, networkPool: ${POOL_SIZE} });
await runtime.createContainer({ id: "mcp-owner", botId: "owner", image: "botbox/default", labels: {}, env: {}, network: "isolated", limits: {}, agentToken: "t" });
setInterval(() => {}, 1000);
`,
          );
          const child = spawn(process.execPath, ["--import", "tsx", script], { stdio: "ignore" });
          try {
            const entries = await waitForPool(separate, POOL_SIZE);
            if (ending === "is killed") child.kill("SIGKILL");
            else child.kill("SIGUSR2");
            await once(child, "exit");
            for (const entry of entries) assert.ok(await untilDead(entry.holder.pid), "the namespace's holder ended");
            if (ending === "is killed") {
              // Only the next runtime on the home can end what a killed server left.
              const next = new SandboxRuntime({ home: separate, agentBundle: AGENT_BUNDLE, networkPool: 0 });
              await next.close();
            }
            for (const entry of entries) assert.ok(await untilDead(entry.slirp!.pid), "the slirp4netns ended");
            if (ending === "is killed") {
              for (let waited = 0; waited < 5_000 && (await poolEntries(separate)).length > 0; waited += 50)
                await sleep(50);
              assert.deepEqual(await poolEntries(separate), [], "the sweep removed the records");
            }
          } finally {
            child.kill("SIGKILL");
          }
        } finally {
          await rm(separate, { recursive: true, force: true });
        }
      });
  },
);
