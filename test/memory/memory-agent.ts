// A real agent process for the memory tests, with direct access to its data
// folder (which plays the part of /data) for checking files byte for byte.
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";

import type { AgentClient } from "../../packages/server/src/client/index.js";
import type { AgentProcess } from "../support/agent-process.js";
import { stopAgentWithClient } from "../support/agent-with-client.js";
import { SHARED_AGENT_TOKEN, sharedAgentWithClient } from "../support/shared-agent.js";

export interface MemoryAgent {
  agent: AgentProcess;
  client: AgentClient;
  /** A file of the data folder, or undefined when it does not exist. */
  read(relativePath: string): Promise<string | undefined>;
  /** The names in the data folder's memory/ (sorted), [] without one. */
  memoryFiles(): Promise<string[]>;
  /** Removes every memory file, the manifest and the overview. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** On the test process's shared agent (test/support/shared-agent.ts): its data folder starts empty. */
export async function startMemoryAgent(): Promise<MemoryAgent> {
  const { agent, client } = await sharedAgentWithClient({ token: SHARED_AGENT_TOKEN });
  const inData = (relativePath: string) => path.join(agent.dataDir, relativePath);
  return {
    agent,
    client,
    read: (relativePath) => readFile(inData(relativePath), "utf8").catch(() => undefined),
    memoryFiles: async () => (await readdir(inData("memory")).catch(() => [])).sort(),
    async reset() {
      for (const name of ["memory", "index", "MEMORY.md"]) await rm(inData(name), { recursive: true, force: true });
    },
    stop: () => stopAgentWithClient({ agent, client }),
  };
}
