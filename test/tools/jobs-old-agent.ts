import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { ContainerServiceDefinition } from "@botbox/proto";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { pino } from "pino";

import { loadAgentConfig } from "../../packages/agent/src/config.js";
import { createContainerService } from "../../packages/agent/src/server.js";
import { AgentClient } from "../../packages/server/src/client/index.js";
import { ContainerTools, type ContainerToolsOptions } from "../../packages/server/src/tools/index.js";
import { textOf, type ToolHarness } from "./tool-harness.js";

const TOKEN = "old-agent-token";

/**
 * An agent as it was before the process supervisor: botbox's real
 * ContainerService (the agent's own code) on a real Unix socket, without the
 * ProcessService, so every supervisor call gets UNIMPLEMENTED from gRPC as
 * from an older agent image or the original's Go agent. It runs in the test
 * process: only the service list differs from a real agent's.
 */
export async function startOldAgentHarness(options: Partial<ContainerToolsOptions> = {}): Promise<ToolHarness> {
  const root = await mkdtemp(path.join(tmpdir(), "botbox-old-agent-"));
  const dataDir = path.join(root, "data");
  await mkdir(dataDir);
  const socketPath = path.join(root, "agent.sock");
  const config = loadAgentConfig({
    MCP_LISTEN_ADDR: `unix:${socketPath}`,
    BOTBOX_DATA_DIR: dataDir,
    BOTBOX_TEMPLATE_DIR: path.join(root, "no-templates"),
    BOTBOX_BOT_ID: "old-agent",
    BOTBOX_AGENT_TOKEN: TOKEN,
  });
  const server = new Server();
  server.addService(ContainerServiceDefinition, createContainerService(config, pino({ level: "silent" })));
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix:${socketPath}`, ServerCredentials.createInsecure(), (error) =>
      error ? reject(error) : resolve(),
    ),
  );
  const client = new AgentClient({ address: `unix:${socketPath}`, token: TOKEN });
  const tools = new ContainerTools({ clients: async () => client, execWorkDir: dataDir, ...options });
  const call = (name: string, args: Record<string, unknown> = {}) => tools.callTool("old-agent", name, args);
  const harness: ToolHarness = {
    agent: { botId: "old-agent", dataDir, address: `unix:${socketPath}`, socketPath } as ToolHarness["agent"],
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
      const listed = await call("jobs", { action: "list" });
      const jobs = (listed.structuredContent?.jobs ?? []) as { id: string; status: string }[];
      for (const job of jobs.filter((job) => job.status === "running"))
        await call("jobs", { action: "kill", id: job.id });
      client.close();
      server.forceShutdown();
      await rm(root, { recursive: true, force: true });
    },
  };
  return harness;
}
