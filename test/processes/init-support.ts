// Starts the workspace's init (agent.js --botbox-init) on this host, with its
// log lines collected, for the init's own tests.
import { type ChildProcess, spawn, type SpawnOptions } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";

import { AGENT_BUNDLE } from "../support/agent-process.js";

export interface RunningInit {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  waitFor(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** `uid`/`gid`: run it as another user, as a bot's workspace runs; `nodeArgs` go before the bundle. */
export function startInit(
  dir: string,
  env: NodeJS.ProcessEnv = {},
  { nodeArgs = [], ...as }: Pick<SpawnOptions, "uid" | "gid"> & { nodeArgs?: string[] } = {},
): RunningInit {
  const child = spawn(process.execPath, [...nodeArgs, AGENT_BUNDLE, "--botbox-init"], {
    env: {
      PATH: process.env.PATH,
      MCP_LISTEN_ADDR: `unix:${path.join(dir, "agent.sock")}`,
      BOTBOX_DATA_DIR: path.join(dir, "data"),
      BOTBOX_TEMPLATE_DIR: path.join(dir, "none"),
      BOTBOX_BOT_ID: "init-test",
      BOTBOX_INIT_BACKOFF_MS: "50,400,60000",
      ...env,
    },
    stdio: ["ignore", "ignore", "pipe"],
    ...as,
  });
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let text = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    text += chunk;
    let end: number;
    while ((end = text.indexOf("\n")) >= 0) {
      const line = text.slice(0, end);
      text = text.slice(end + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line });
      }
    }
    for (const wake of waiters) wake();
  });
  return {
    child,
    lines,
    waitFor: (match, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(match);
          if (!found) return;
          cleanUp();
          resolve(found);
        };
        const timer = setTimeout(() => {
          cleanUp();
          reject(new Error(`no such log line in ${timeoutMs} ms: ${JSON.stringify(lines)}`));
        }, timeoutMs);
        const cleanUp = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
  };
}

export async function agentPidOf(init: ChildProcess): Promise<number> {
  const children = await readFile(`/proc/${init.pid}/task/${init.pid}/children`, "utf8");
  return Number(children.trim().split(/\s+/)[0]);
}

/**
 * Ends an init and its agent. SIGKILL on the init alone would orphan the
 * agent, which holds the test's stderr pipe open and keeps the test alive.
 */
export async function stopInit(init: RunningInit): Promise<void> {
  if (init.child.exitCode !== null || init.child.signalCode !== null) return;
  const agent = await agentPidOf(init.child).catch(() => 0);
  if (agent > 0) process.kill(agent, "SIGKILL");
  init.child.kill("SIGKILL");
}
