// One agent for every test file of a test process that needs only a working
// agent, not a fresh one. The unit tier imports many files into each of its
// test processes; an agent per file (or per describe) was about a hundred
// node starts of 0.15 to 0.25 s of CPU each, a third of the tier's CPU time.
//
// The files of one process run one after another, so sharing is safe where a
// file's tests do not need a fresh process: each holder gets the data folder
// empty, as a fresh agent would hand it over, and the agent lives until the
// process's last test (a root-level `after` hook, registered when this module
// is first imported, which is at the top level of a test file). A test that
// kills, restarts or stops the agent, reads its start-up logs, or injects a
// fault into it starts its own with startAgentProcess.
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { after } from "node:test";

import { AgentClient } from "../../packages/server/src/client/index.js";
import { type AgentProcess, startAgentProcess } from "./agent-process.js";
import type { AgentWithClient } from "./agent-with-client.js";

/** A token for files that need one but not a particular one: they then share one agent. */
export const SHARED_AGENT_TOKEN = "shared-agent-token";

/** The settings a shared agent can differ in; files asking for the same ones share it. */
export interface SharedAgentOptions {
  transport?: "unix" | "tcp";
  token?: string;
}

interface Shared {
  agent: Promise<AgentProcess>;
  holders: number;
}

const agents = new Map<string, Shared>();

after(async () => {
  const started = await Promise.allSettled([...agents.values()].map((shared) => shared.agent));
  agents.clear();
  await Promise.all(started.map((result) => (result.status === "fulfilled" ? result.value.stop() : undefined)));
});

/** Removes everything in `folder`, leaving the folder itself. */
async function emptyFolder(folder: string): Promise<void> {
  const names = await readdir(folder).catch(() => [] as string[]);
  await Promise.all(names.map((name) => rm(path.join(folder, name), { recursive: true, force: true })));
}

/**
 * The agent this process shares for `options`, started on first use. Its
 * `stop()` releases it: the last holder to release leaves it running for the
 * next file, and the next first holder finds its data folder emptied.
 */
export async function sharedAgentProcess(options: SharedAgentOptions = {}): Promise<AgentProcess> {
  const key = JSON.stringify([options.transport ?? "unix", options.token ?? ""]);
  let shared = agents.get(key);
  if (!shared) {
    shared = { agent: startAgentProcess(options), holders: 0 };
    agents.set(key, shared);
    // A start that failed is not kept: the next file tries again and reports its own failure.
    shared.agent.catch(() => agents.delete(key));
  }
  const agent = await shared.agent;
  const holder = shared;
  if (holder.holders++ === 0) await emptyFolder(agent.dataDir);
  let released = false;
  return {
    botId: agent.botId,
    dataDir: agent.dataDir,
    address: agent.address,
    socketPath: agent.socketPath,
    child: agent.child,
    logs: agent.logs,
    async stop() {
      if (released) return;
      released = true;
      holder.holders--;
    },
  };
}

/** sharedAgentProcess and a client of its own dialled with the same token (closed by stopAgentWithClient). */
export async function sharedAgentWithClient(options: SharedAgentOptions = {}): Promise<AgentWithClient> {
  const agent = await sharedAgentProcess(options);
  const client = new AgentClient({ address: agent.address, ...(options.token ? { token: options.token } : {}) });
  return { agent, client };
}
