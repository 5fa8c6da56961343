// The workspace's init (agent.js --botbox-init) on its own, on this host:
// what a runtime's stop and an agent's death do to it.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { AGENT_BUNDLE } from "../support/agent-process.js";

interface RunningInit {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  waitFor(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

function startInit(dir: string, env: NodeJS.ProcessEnv = {}): RunningInit {
  const child = spawn(process.execPath, [AGENT_BUNDLE, "--botbox-init"], {
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

async function agentPidOf(init: ChildProcess): Promise<number> {
  const children = await readFile(`/proc/${init.pid}/task/${init.pid}/children`, "utf8");
  return Number(children.trim().split(/\s+/)[0]);
}

describe("the workspace's init", { timeout: 120_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "botbox-init-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("starts an agent killed with SIGKILL again, and a stop then ends it with the agent's status", async () => {
    const init = startInit(dir);
    try {
      await init.waitFor((line) => line.msg === "agent listening");
      const first = await agentPidOf(init.child);
      process.kill(first, "SIGKILL");
      const restarted = await init.waitFor((line) => line.msg === "agent ended; starting it again");
      assert.equal(restarted.signal, "SIGKILL");
      await init.waitFor((line) => line.msg === "agent listening again");
      const second = await agentPidOf(init.child);
      assert.ok(second > 0 && second !== first, `a new agent: ${first} then ${second}`);
      const exited = once(init.child, "exit");
      init.child.kill("SIGTERM");
      const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
      assert.deepEqual([code, signal], [0, null], "the agent stops cleanly with 0, and so does the init");
      assert.ok(init.lines.some((line) => line.service === "botbox-agent" && line.msg === "stopping"));
    } finally {
      init.child.kill("SIGKILL");
    }
  });

  it("an agent that fails before it listens is not started again: the init exits with its code", async () => {
    const init = startInit(dir, { BOTBOX_AGENT_TOKEN: "not a token" });
    const [code] = (await once(init.child, "exit")) as [number | null];
    assert.equal(code, 1);
    assert.ok(init.lines.some((line) => line.msg === "the agent ended before it was listening; not starting it again"));
    assert.ok(!init.lines.some((line) => line.msg === "agent ended; starting it again"), "no restart");
  });
});
