// tools/call of the everything server's `echo` through a stdio MCP session
// (StdioSession: the SDK Client on the agent's Exec stream, the server running
// inside a real sandboxed bot) vs the same bundled server spoken to directly
// over stdio from this process (SDK Client + StdioClientTransport). For
// reference, the same session through an agent running outside any sandbox.
// Goal: p50 ratio <= 1.3.
import path from "node:path";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

import { AgentClient } from "../packages/server/src/client/index.js";
import { StdioSession } from "../packages/server/src/mcp/index.js";
import type { AgentProcess } from "../test/support/agent-process.js";
import { bundledServer, uploadServer } from "../test/support/mcp-servers.js";
import {
  type Figure,
  homeScratchDir,
  type Host,
  ms,
  percentile,
  removeSandboxes,
  report,
  startAgentProcess,
  startHost,
  time,
} from "./support.js";

const CALLS = Number(process.env.BENCH_CALLS ?? 200);
const WARM_UP = 100;
const BOT = "mcp-stdio-bench";

const silent = { debug() {}, info() {}, warn() {} };

function checkEcho(result: CallToolResult, message: string): void {
  const text = result.content.map((part) => (part.type === "text" ? part.text : "")).join("");
  if (text !== `Echo: ${message}`) throw new Error(`unexpected echo answer: ${JSON.stringify(result)}`);
}

export async function benchMcpStdio(): Promise<Figure> {
  const scratch = await homeScratchDir("mcp-stdio");
  let host: Host | undefined;
  let plainAgent: AgentProcess | undefined;
  let plainClient: AgentClient | undefined;
  const sessions: StdioSession[] = [];
  const direct = new Client({ name: "bench-direct", version: "1.0.0" });
  try {
    const bundle = await bundledServer("everything");
    host = await startHost(path.join(scratch, "h"));
    await host.addBot(BOT);
    await host.manager.start(BOT);
    const agent = await host.manager.agentFor(BOT);
    await uploadServer(agent, "everything", "/data/everything.mjs");
    const sandboxed = await StdioSession.start({
      client: agent,
      botId: BOT,
      logger: silent,
      name: "everything",
      command: "node",
      args: ["/data/everything.mjs", "stdio"],
    });
    sessions.push(sandboxed);

    plainAgent = await startAgentProcess({ token: "bench", dataDir: path.join(scratch, "plain-data") });
    plainClient = new AgentClient({ address: plainAgent.address, token: "bench" });
    await uploadServer(plainClient, "everything", "everything.mjs");
    const unsandboxed = await StdioSession.start({
      client: plainClient,
      botId: plainAgent.botId,
      logger: silent,
      name: "everything",
      command: "node",
      args: ["everything.mjs", "stdio"],
    });
    sessions.push(unsandboxed);

    await direct.connect(
      new StdioClientTransport({ command: process.execPath, args: [bundle, "stdio"], stderr: "ignore" }),
    );

    let n = 0;
    const viaSandbox = async () => {
      const message = `call ${n++}`;
      checkEcho(await sandboxed.callTool("echo", { message }), message);
    };
    const viaAgent = async () => {
      const message = `call ${n++}`;
      checkEcho(await unsandboxed.callTool("echo", { message }), message);
    };
    const viaStdio = async () => {
      const message = `call ${n++}`;
      checkEcho((await direct.callTool({ name: "echo", arguments: { message } })) as CallToolResult, message);
    };
    for (let i = 0; i < WARM_UP; i++) {
      await viaStdio();
      await viaSandbox();
      await viaAgent();
    }
    const baseline: number[] = [];
    const subject: number[] = [];
    const reference: number[] = [];
    // Interleaved, so drift in machine load hits every side alike.
    for (let i = 0; i < CALLS; i++) {
      baseline.push(await time(viaStdio));
      subject.push(await time(viaSandbox));
      reference.push(await time(viaAgent));
    }
    const summary = (samples: number[]) =>
      `p50 ${ms(percentile(samples, 50))} p90 ${ms(percentile(samples, 90))} p99 ${ms(percentile(samples, 99))}`;
    console.log(`mcp stdio: session in a sandboxed bot (through Exec) ${summary(subject)}`);
    console.log(`mcp stdio: session through an unsandboxed agent ${summary(reference)}`);
    console.log(`mcp stdio: direct stdio from this process ${summary(baseline)}`);
    const ratio = percentile(subject, 50) / percentile(baseline, 50);
    return report({
      bench: "mcp stdio tools/call",
      figure: `echo through Exec in a sandbox p50 ${ms(percentile(subject, 50))} p90 ${ms(percentile(subject, 90))}, direct stdio p50 ${ms(percentile(baseline, 50))} p90 ${ms(percentile(baseline, 90))}; unsandboxed agent p50 ${ms(percentile(reference, 50))} (${CALLS} calls each)`,
      ratio,
      goal: "<= 1.3",
      met: ratio <= 1.3,
    });
  } finally {
    await direct.close().catch(() => undefined);
    await Promise.all(sessions.map((session) => session.close()));
    plainClient?.close();
    await plainAgent?.stop();
    await host?.close();
    // The host's home is below the scratch folder: its sandboxes (state mounted) go first.
    const left = (await removeSandboxes(path.join(scratch, "h"))) + (await removeSandboxes(scratch));
    if (left > 0) console.error(`mcp stdio: ${left} sandboxes were left and removed`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchMcpStdio();
