// A real agent process and a client dialled to it: the pair most tests of a
// workspace service start before their first test and stop after the last.
import { AgentClient } from "../../packages/server/src/client/index.js";
import { type AgentProcess, type AgentProcessOptions, startAgentProcess } from "./agent-process.js";

export interface AgentWithClient {
  readonly agent: AgentProcess;
  readonly client: AgentClient;
}

/** Starts an agent as startAgentProcess does and dials it with the same token. */
export async function startAgentWithClient(options: AgentProcessOptions = {}): Promise<AgentWithClient> {
  const agent = await startAgentProcess(options);
  const client = new AgentClient({ address: agent.address, ...(options.token ? { token: options.token } : {}) });
  return { agent, client };
}

/** Closes the client, then stops the agent; either is missing when the start failed. */
export async function stopAgentWithClient({
  agent,
  client,
}: {
  agent?: AgentProcess;
  client?: { close(): void };
}): Promise<void> {
  client?.close();
  await agent?.stop();
}
