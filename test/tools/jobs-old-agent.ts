import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { ContainerServiceDefinition } from "@botbox/proto";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { pino } from "pino";

import { loadAgentConfig } from "../../packages/agent/src/config.js";
import { createContainerService } from "../../packages/agent/src/server.js";
import { AgentClient } from "../../packages/server/src/client/index.js";
import type { ContainerToolsOptions } from "../../packages/server/src/tools/index.js";
import { type ToolHarness, toolHarnessOver } from "./tool-harness.js";

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
  const agent = { botId: "old-agent", dataDir, address: `unix:${socketPath}`, socketPath } as ToolHarness["agent"];
  return toolHarnessOver(agent, client, options, async () => {
    server.forceShutdown();
    await rm(root, { recursive: true, force: true });
  });
}
