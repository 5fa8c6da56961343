import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { agentCodeCache, agentLoaderOf } from "./agent-code-cache.js";
import { followJsonLines } from "./json-lines.js";
import { stopChild } from "./stop-child.js";

export const AGENT_BUNDLE = fileURLToPath(new URL("../../packages/agent/dist/agent.js", import.meta.url));

export interface AgentProcessOptions {
  transport?: "unix" | "tcp";
  token?: string;
  botId?: string;
  templateDir?: string;
  /** An existing data folder; a fresh temporary one otherwise. */
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Listen on this Unix socket path instead of one in the temporary folder. */
  socketPath?: string;
  /** Extra node flags, e.g. --cpu-prof for profiling. */
  nodeArgs?: string[];
  /** Start through the loader with this code cache file instead of the tests' own. */
  codeCache?: string;
}

/** A real agent process (the bundled dist/agent.js) in a temporary folder. */
export interface AgentProcess {
  readonly botId: string;
  readonly dataDir: string;
  /** `unix:/…/agent.sock` or `127.0.0.1:<port>`, ready to dial. */
  readonly address: string;
  readonly socketPath?: string;
  readonly child: ChildProcess;
  /** Every JSON log line the agent wrote to stderr so far. */
  readonly logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

export async function startAgentProcess(options: AgentProcessOptions = {}): Promise<AgentProcess> {
  const root = await mkdtemp(path.join(tmpdir(), "botbox-agent-"));
  const dataDir = options.dataDir ?? path.join(root, "data");
  const botId = options.botId ?? randomUUID();
  const socketPath = options.transport === "tcp" ? undefined : (options.socketPath ?? path.join(root, "agent.sock"));
  // Through the loader with the code cache, as the sandbox starts a bot's agent: the same agent, compiled less.
  const codeCache = options.codeCache ?? (await agentCodeCache(AGENT_BUNDLE));
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), codeCache ? agentLoaderOf(AGENT_BUNDLE) : AGENT_BUNDLE],
    {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TZ: process.env.TZ,
        ...(codeCache ? { BOTBOX_AGENT_CODE_CACHE: codeCache } : {}),
        ...options.env,
        MCP_LISTEN_ADDR: socketPath ? `unix:${socketPath}` : "127.0.0.1:0",
        BOTBOX_DATA_DIR: dataDir,
        BOTBOX_TEMPLATE_DIR: options.templateDir ?? path.join(root, "no-templates"),
        BOTBOX_BOT_ID: botId,
        ...(options.token ? { BOTBOX_AGENT_TOKEN: options.token } : {}),
      },
      stdio: ["ignore", "inherit", "pipe"],
    },
  );
  let onListening: ((address: string) => void) | undefined;
  const logs = followJsonLines(child.stderr!, (entry) => {
    if (entry.msg === "agent listening") onListening?.(String(entry.address));
  });
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent did not start: ${JSON.stringify(logs)}`)), 10_000);
    onListening = (listening) => {
      clearTimeout(timer);
      resolve(listening);
    };
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`agent exited with ${code} before listening: ${JSON.stringify(logs)}`));
    });
  });
  return {
    botId,
    dataDir,
    address: address.startsWith("unix:") ? address : `127.0.0.1:${address.split(":").pop()}`,
    socketPath,
    child,
    logs,
    async stop() {
      await stopChild(child);
      await rm(root, { recursive: true, force: true });
    },
  };
}
