import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { type AgentProcess, startAgentProcess } from "../../../../test/support/agent-process.js";
import { AgentPool } from "../client/index.js";
import { IdentityMismatchError, UnavailableError } from "../errors.js";
import { waitForAgent } from "./wait-for-agent.js";

describe("waitForAgent", () => {
  const agents: AgentProcess[] = [];
  after(async () => {
    await Promise.all(agents.map((agent) => agent.stop()));
  });

  it("waits for an agent that starts later and returns its verified client", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "botbox-wait-"));
    const socketPath = path.join(dir, "agent.sock");
    const pool = new AgentPool({ resolveEndpoint: () => ({ address: `unix:${socketPath}` }) });
    try {
      const waiting = waitForAgent(pool, "late-bot", 10_000);
      await sleep(300);
      agents.push(await startAgentProcess({ socketPath, botId: "late-bot" }));
      const client = await waiting;
      assert.equal((await client.info()).botId, "late-bot");
    } finally {
      pool.closeAll();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("gives a clear timeout error naming the bot when no agent answers", async () => {
    const pool = new AgentPool({ resolveEndpoint: () => ({ address: "unix:/nonexistent/agent.sock" }) });
    const started = Date.now();
    await assert.rejects(waitForAgent(pool, "silent-bot", 300), (error: unknown) => {
      assert.ok(error instanceof UnavailableError);
      assert.match(error.message, /^the agent of bot silent-bot did not answer within 300 ms/);
      return true;
    });
    assert.ok(Date.now() - started < 1500);
  });

  it("ends the wait, with the reason, once the task has ended", async () => {
    const pool = new AgentPool({ resolveEndpoint: () => ({ address: "unix:/nonexistent/agent.sock" }) });
    let checks = 0;
    const started = Date.now();
    await assert.rejects(
      waitForAgent(pool, "exited-bot", 10_000, {
        taskEnded: async () => (++checks < 2 ? undefined : "its task is stopped (exit code 3)"),
      }),
      (error: unknown) => {
        assert.ok(error instanceof UnavailableError);
        assert.equal(error.message, "the agent of bot exited-bot never answered: its task is stopped (exit code 3)");
        return true;
      },
    );
    assert.equal(checks, 2);
    assert.ok(Date.now() - started < 2000);
  });

  it("fails at once when the agent answers for another bot", async () => {
    const agent = await startAgentProcess({ botId: "someone-else" });
    agents.push(agent);
    const pool = new AgentPool({ resolveEndpoint: () => ({ address: agent.address }) });
    const started = Date.now();
    await assert.rejects(waitForAgent(pool, "expected-bot", 10_000), IdentityMismatchError);
    assert.ok(Date.now() - started < 2000);
    pool.closeAll();
  });
});
