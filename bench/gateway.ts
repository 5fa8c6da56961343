// The MCP tool gateway (`POST /bots/:id/tools`, stateless Streamable HTTP on
// a real `botbox serve`): `tools/call read` of a small file by 32 concurrent
// SDK Clients across 8 sandboxed bots, vs the same reads done directly with
// AgentClient.readFile (one client per bot, as the server's pool keeps) by
// 32 concurrent callers. Both sides alternate in rounds so drift in machine
// load hits them alike; the callers share the machine with the server and
// the bots, so CPU per call is printed for each. No goal: the figure to watch.
import { readFile } from "node:fs/promises";
import path from "node:path";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

import { AgentClient } from "../packages/server/src/client/index.js";
import { type BotboxServer, startBotboxServer } from "../test/support/botbox-server.js";
import {
  type Figure,
  forEachLimit,
  homeScratchDir,
  ms,
  percentile,
  processTable,
  processTree,
  removeSandboxes,
  report,
  time,
} from "./support.js";

const BOTS = Number(process.env.BENCH_BOTS ?? 8);
const CALLERS = Number(process.env.BENCH_CALLERS ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const SINGLE_CALLS = 100;
const FILE = "notes.txt";
const LINES = 40;
const TEXT = Array.from({ length: LINES }, (_, i) => `line ${i} of a small file that an LLM reads`).join("\n") + "\n";

interface Cpu {
  server: number;
  bots: number;
  callers: number;
}

interface Run {
  calls: number;
  seconds: number;
  latencies: number[];
}

/** `callers` loops, caller i calling `operation(i)` back to back until the time is up. */
async function drive(callers: number, operation: (caller: number) => Promise<void>): Promise<Run> {
  const latencies: number[] = [];
  const started = process.hrtime.bigint();
  const deadline = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      while (Date.now() < deadline) {
        const begun = process.hrtime.bigint();
        await operation(caller);
        latencies.push(Number(process.hrtime.bigint() - begun) / 1e6);
      }
    }),
  );
  return { calls: latencies.length, seconds: Number(process.hrtime.bigint() - started) / 1e9, latencies };
}

/** CPU seconds (user + system) used so far by the given processes, from /proc. */
async function cpuSeconds(pids: number[]): Promise<number> {
  let ticks = 0;
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    if (!stat) continue;
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / 100; // USER_HZ
}

export async function benchGateway(): Promise<Figure> {
  const scratch = await homeScratchDir("gateway");
  let server: BotboxServer | undefined;
  const agents: AgentClient[] = [];
  const clients: Client[] = [];
  const ids = Array.from({ length: BOTS }, (_, i) => `gateway-${i}`);
  try {
    server = await startBotboxServer({ home: path.join(scratch, "h") });
    const call = async (method: string, route: string, body?: unknown) => {
      const response = await server!.api(method, route, body);
      if (response.status >= 300)
        throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(response.body)}`);
      return response.body as Record<string, unknown>;
    };
    await forEachLimit(ids, 4, async (id) => {
      await call("POST", "/bots", { id, name: id });
      await call("POST", `/bots/${id}/container`);
    });
    const botPids: number[] = [];
    for (const id of ids) {
      // The sandbox runtime's layout: the agent's socket and token are in the bot's folder.
      const botDir = path.join(server.home, "bots", id);
      const record = JSON.parse(await readFile(path.join(botDir, "container.json"), "utf8")) as {
        spec: { agentToken: string };
      };
      const agent = new AgentClient({
        address: `unix:${path.join(botDir, "run", "agent.sock")}`,
        token: record.spec.agentToken,
      });
      agents.push(agent);
      await agent.writeFile(FILE, TEXT);
      botPids.push(Number((await call("GET", `/bots/${id}/container`)).pid));
    }
    const table = await processTable();
    const botTree = botPids.flatMap((pid) => processTree(table, pid));
    const serverPid = server.child.pid!;

    for (let i = 0; i < CALLERS; i++) {
      const client = new Client({ name: `bench-${i}`, version: "1.0.0" });
      const url = new URL(`${server.url}/bots/${ids[i % BOTS]}/tools`);
      await client.connect(
        new StreamableHTTPClientTransport(url, {
          requestInit: { headers: { authorization: `Bearer ${server.adminToken}` } },
        }),
      );
      clients.push(client);
    }

    const viaGateway = async (caller: number) => {
      const result = await clients[caller]!.callTool({ name: "read", arguments: { path: `/data/${FILE}` } });
      const total = (result.structuredContent as { total_lines?: number } | undefined)?.total_lines;
      if (result.isError || total !== LINES) throw new Error(`gateway read: ${JSON.stringify(result)}`);
    };
    // The read tool's own request: the path under /data, from line 1, at most 200 lines.
    const direct = async (caller: number) => {
      const page = await agents[caller % BOTS]!.readFile(FILE, { lineOffset: 1, lineCount: 200 });
      if (page.totalLines !== LINES) throw new Error(`direct read: ${JSON.stringify(page)}`);
    };

    // Warm-up: every client and channel used, the server's code paths hot.
    await Promise.all(clients.map((_, caller) => viaGateway(caller)));
    await Promise.all(clients.map((_, caller) => direct(caller)));

    // CPU seconds each side costs, by process: the server, the bots (agents and
    // sandboxes), and this process (the callers).
    const measured = async (run: () => Promise<Run>, cpu: Cpu): Promise<Run> => {
      const before = { server: await cpuSeconds([serverPid]), bots: await cpuSeconds(botTree) };
      const benchBefore = process.cpuUsage();
      const result = await run();
      const benchUsed = process.cpuUsage(benchBefore);
      cpu.callers += (benchUsed.user + benchUsed.system) / 1e6;
      cpu.server += (await cpuSeconds([serverPid])) - before.server;
      cpu.bots += (await cpuSeconds(botTree)) - before.bots;
      return result;
    };
    // One caller alone, on one bot: the latency of a call that does not queue
    // behind others (rotating over the bots would time idle agents waking up).
    const alone = { gateway: [] as number[], direct: [] as number[] };
    for (let i = 0; i < SINGLE_CALLS; i++) {
      alone.gateway.push(await time(() => viaGateway(0)));
      alone.direct.push(await time(() => direct(0)));
    }

    const gateway: Run[] = [];
    const baseline: Run[] = [];
    const gatewayCpu: Cpu = { server: 0, bots: 0, callers: 0 };
    const baselineCpu: Cpu = { server: 0, bots: 0, callers: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      gateway.push(await measured(() => drive(CALLERS, viaGateway), gatewayCpu));
      baseline.push(await measured(() => drive(CALLERS, direct), baselineCpu));
    }

    const total = (runs: Run[]) => {
      const calls = runs.reduce((sum, run) => sum + run.calls, 0);
      const seconds = runs.reduce((sum, run) => sum + run.seconds, 0);
      const latencies = runs.flatMap((run) => run.latencies);
      return { calls, perSecond: calls / seconds, p50: percentile(latencies, 50), p90: percentile(latencies, 90) };
    };
    const gatewayTotal = total(gateway);
    const directTotal = total(baseline);
    const perCall = (cpu: Cpu, calls: number) =>
      (["server", "bots", "callers"] as const)
        .map((key) => `${key} ${((cpu[key] / calls) * 1000).toFixed(3)} ms`)
        .join(", ");
    const setting = `${CALLERS} callers, ${BOTS} bots, ${ROUNDS} rounds of ${SECONDS} s each`;
    console.log(
      `gateway: tools/call read p50 ${ms(gatewayTotal.p50)} p90 ${ms(gatewayTotal.p90)}, ${gatewayTotal.perSecond.toFixed(0)} calls/s (${gatewayTotal.calls} calls; ${setting})`,
    );
    console.log(
      `gateway: direct AgentClient.readFile p50 ${ms(directTotal.p50)} p90 ${ms(directTotal.p90)}, ${directTotal.perSecond.toFixed(0)} calls/s (${directTotal.calls} calls)`,
    );
    console.log(
      `gateway: one caller alone on one bot, p50 of ${SINGLE_CALLS}: gateway ${ms(percentile(alone.gateway, 50))}, direct ${ms(percentile(alone.direct, 50))}`,
    );
    console.log(`gateway: CPU per call through the gateway: ${perCall(gatewayCpu, gatewayTotal.calls)}`);
    console.log(`gateway: CPU per direct call: ${perCall(baselineCpu, directTotal.calls)}`);
    const ratio = gatewayTotal.perSecond / directTotal.perSecond;
    return report({
      bench: `gateway read x${CALLERS} over ${BOTS} bots`,
      figure: `gateway p50 ${ms(gatewayTotal.p50)}, ${gatewayTotal.perSecond.toFixed(0)} calls/s; direct readFile p50 ${ms(directTotal.p50)}, ${directTotal.perSecond.toFixed(0)} calls/s (ratio of throughputs)`,
      ratio,
    });
  } finally {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    for (const agent of agents) agent.close();
    if (server) {
      await forEachLimit(ids, 4, (id) => server!.api("DELETE", `/bots/${id}`)).catch(() => undefined);
      await server.stop();
    }
    const left = await removeSandboxes(path.join(scratch, "h"));
    await removeSandboxes(scratch);
    if (left > 0) console.error(`gateway: ${left} sandboxes were left and removed`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchGateway();
