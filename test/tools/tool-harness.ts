import assert from "node:assert/strict";

import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

import { type AgentClient, type ExecResult } from "../../packages/server/src/client/index.js";
import { ContainerTools, type ContainerToolsOptions } from "../../packages/server/src/tools/index.js";
import type { AgentProcess } from "../support/agent-process.js";
import { startAgentWithClient } from "../support/agent-with-client.js";
import { SHARED_AGENT_TOKEN, sharedAgentWithClient } from "../support/shared-agent.js";

/** The token of the harness's agent. */
export const TOKEN = SHARED_AGENT_TOKEN;

/** A real agent process, a client for it, and ContainerTools over that client. */
export interface ToolHarness {
  agent: AgentProcess;
  client: AgentClient;
  tools: ContainerTools;
  /** Calls a tool for the harness's bot. */
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  /** A tool call that must succeed; returns its structured content. */
  ok<T = Record<string, unknown>>(name: string, args?: Record<string, unknown>): Promise<T>;
  /** A tool call that must fail; returns its error text. */
  fails(name: string, args?: Record<string, unknown>): Promise<string>;
  /** Runs a command directly on the agent, bypassing the tools. */
  sh(command: string): Promise<ExecResult>;
  stop(): Promise<void>;
}

/**
 * The harness on the test process's shared agent (test/support/shared-agent.ts);
 * `fresh: true` starts an agent of its own, for tests that need no other
 * file's processes in the agent's table.
 */
export async function startToolHarness(
  options: Partial<ContainerToolsOptions> = {},
  { fresh = false }: { fresh?: boolean } = {},
): Promise<ToolHarness> {
  const { agent, client } = await (fresh ? startAgentWithClient : sharedAgentWithClient)({ token: TOKEN });
  return toolHarnessOver(agent, client, options, () => agent.stop());
}

/**
 * ContainerTools over `client`, the agent's data folder playing the part of
 * /data; `stop` kills the jobs still running, closes the client, then runs
 * `stopAgent`.
 */
export function toolHarnessOver(
  agent: AgentProcess,
  client: AgentClient,
  options: Partial<ContainerToolsOptions>,
  stopAgent: () => Promise<void> | void,
): ToolHarness {
  const tools = new ContainerTools({ clients: async () => client, execWorkDir: agent.dataDir, ...options });
  const call = (name: string, args: Record<string, unknown> = {}) => tools.callTool(agent.botId, name, args);
  return {
    agent,
    client,
    tools,
    call,
    async ok<T>(name: string, args?: Record<string, unknown>) {
      const result = await call(name, args);
      assert.notEqual(result.isError, true, `${name} failed: ${textOf(result)}`);
      assert.equal(textOf(result), JSON.stringify(result.structuredContent), "text mirrors the structured content");
      return result.structuredContent as T;
    },
    async fails(name: string, args?: Record<string, unknown>) {
      const result = await call(name, args);
      assert.equal(result.isError, true, `${name} should have failed, got ${textOf(result)}`);
      assert.equal(result.structuredContent, undefined);
      return textOf(result);
    },
    sh: (command: string) => client.exec(command),
    async stop() {
      // Jobs run in sessions of their own and would outlive the agent.
      const listed = await call("jobs", { action: "list" });
      const jobs = (listed.structuredContent?.jobs ?? []) as { id: string; status: string }[];
      for (const job of jobs.filter((job) => job.status === "running"))
        await call("jobs", { action: "kill", id: job.id });
      client.close();
      await stopAgent();
    },
  };
}

/** A job as the jobs tool shows it. */
export interface Job {
  id: string;
  pid: number;
  command: string;
  work_dir: string;
  started_at: string;
  streams: "combined" | "split";
  status: "running" | "exited" | "killed" | "lost";
  exit_code: number | null;
  output?: string;
  stdout?: string;
  stderr?: string;
  timed_out?: boolean;
}

export function textOf(result: CallToolResult): string {
  assert.equal(result.content.length, 1);
  const [item] = result.content;
  assert.equal(item?.type, "text");
  return item.type === "text" ? item.text : "";
}
