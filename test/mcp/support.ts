import { after, before } from "node:test";
import { pathToFileURL } from "node:url";

import type { AgentClient } from "../../packages/server/src/client/index.js";
import { type McpLogger, StdioSession, type StdioSessionStart } from "../../packages/server/src/mcp/index.js";
import type { AgentProcess, AgentProcessOptions } from "../support/agent-process.js";
import { startAgentWithClient, stopAgentWithClient } from "../support/agent-with-client.js";
import { uploadScriptedServer } from "../support/mcp-servers.js";

export interface LogEntry {
  level: "debug" | "info" | "warn";
  message: string;
  fields: Record<string, unknown>;
}

/** A logger that keeps what it is told, for tests to read. */
export function captureLogger(): McpLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry["level"]) =>
    (fields: object, message: string): void => {
      entries.push({ level, message, fields: fields as Record<string, unknown> });
    };
  return { entries, debug: at("debug"), info: at("info"), warn: at("warn") };
}

/** A real agent process with a client for it and the scripted server in its data folder. */
export interface TestAgent {
  readonly agent: AgentProcess;
  readonly client: AgentClient;
  readonly logger: ReturnType<typeof captureLogger>;
  /** file:// URL of the agent's data folder: what roots/list should answer. */
  readonly rootsUri: string;
  /** Start options for the scripted server, with extra flags. */
  scripted(flags?: string[], overrides?: Partial<StdioSessionStart>): StdioSessionStart;
  stop(): Promise<void>;
}

/** `agentOptions` add to how the agent process is started (its env, node flags). */
export async function startTestAgent(agentOptions: Omit<AgentProcessOptions, "token"> = {}): Promise<TestAgent> {
  const { agent, client } = await startAgentWithClient({ ...agentOptions, token: "mcp-test-token" });
  const script = await uploadScriptedServer(client);
  const logger = captureLogger();
  const rootsUri = pathToFileURL(agent.dataDir).href;
  return {
    agent,
    client,
    logger,
    rootsUri,
    scripted: (flags = [], overrides = {}) => ({
      client,
      botId: agent.botId,
      logger,
      rootsUri,
      name: "scripted",
      command: "node",
      args: [script, ...flags],
      ...overrides,
    }),
    stop: () => stopAgentWithClient({ agent, client }),
  };
}

/** A TestAgent for a describe block, with the sessions its tests start. */
export interface ScriptedSessionSuite extends Omit<TestAgent, "stop"> {
  /** A session on the scripted server with extra flags; closed after the suite. */
  start(flags?: string[], overrides?: Partial<StdioSessionStart>): Promise<StdioSession>;
}

/**
 * For a describe block of StdioSession tests: a test agent started before
 * them, and sessions on its scripted server, all closed after them.
 */
export function scriptedSessionSuite(): ScriptedSessionSuite {
  let started: TestAgent | undefined;
  const sessions: StdioSession[] = [];
  before(async () => {
    started = await startTestAgent();
  });
  after(async () => {
    await Promise.all(sessions.map((session) => session.close()));
    await started?.stop();
  });
  const agent = (): TestAgent => {
    if (!started) throw new Error("the suite's agent starts in before()");
    return started;
  };
  return {
    get agent() {
      return agent().agent;
    },
    get client() {
      return agent().client;
    },
    get logger() {
      return agent().logger;
    },
    get rootsUri() {
      return agent().rootsUri;
    },
    scripted: (flags, overrides) => agent().scripted(flags, overrides),
    async start(flags = [], overrides = {}) {
      const session = await StdioSession.start(agent().scripted(flags, overrides));
      sessions.push(session);
      return session;
    },
  };
}

/** Lines of a wire log the scripted server wrote (--log), parsed. */
export async function wireLog(client: AgentClient, file: string): Promise<Record<string, unknown>[]> {
  const { stdout } = await client.exec(`cat ${file}`);
  return stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The text of a tool result's first content item. */
export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content;
  const first = content?.[0];
  if (first?.type !== "text" || first.text === undefined) throw new Error(`no text in ${JSON.stringify(result)}`);
  return first.text;
}

/**
 * Polls until `check` returns a value other than undefined, or fails after
 * `timeoutMs`. For what only another process knows and sends no word of (a
 * line in a server's wire log, a process gone): a real condition, bounded.
 */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Whether a process with this pid exists on the machine (the local agent runs servers as our children's children). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
