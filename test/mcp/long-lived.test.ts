// A stdio server lives as long as its session: the session asks the agent for
// no exec timeout. The original sent 0, which the agent takes as its 30 s
// default, so every stdio server was killed after 30 s.
//
// The agent here runs on a clock RATE times fast (fixtures/fast-clock.mjs
// divides its timer delays), so its 30 s default passes in a fraction of a
// second. Why that still proves the point: the agent measures an exec's
// timeout with a timer and nothing else; the test first shows that timer
// firing in this agent (the original's request, timeout 0, for the same
// server, is killed), twice in a row, both started after the session's
// server. Had the session's exec carried the default timeout, its timer,
// set earlier, would have fired before either, and the call after them fails.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

import { StdioSession } from "../../packages/server/src/mcp/index.js";
import { uploadServer } from "../support/mcp-servers.js";
import { startTestAgent, type TestAgent, textOf } from "./support.js";

const RATE = 100;
const FAST_CLOCK = fileURLToPath(new URL("./fixtures/fast-clock.mjs", import.meta.url));
const SIGKILL_EXIT = 128 + 9;

describe("a long-lived stdio session", () => {
  let t: TestAgent;
  let session: StdioSession;

  before(async () => {
    t = await startTestAgent({
      nodeArgs: ["--import", FAST_CLOCK],
      env: { BOTBOX_TEST_CLOCK_RATE: String(RATE) },
    });
    await uploadServer(t.client, "everything");
    session = await StdioSession.start({
      client: t.client,
      botId: t.agent.botId,
      logger: t.logger,
      name: "everything",
      command: "node",
      args: ["everything.mjs", "stdio"],
    });
  });
  after(async () => {
    await session?.close();
    await t.stop();
  });

  it("stays alive and answers after two of the agent's 30 s default exec timeouts, which killed the original's servers", async () => {
    assert.equal(textOf(await session.callTool("echo", { message: "before" })), "Echo: before");
    for (const round of [1, 2]) {
      const started = Date.now();
      // What the original asked for: timeout 0, the agent's default. stdin stays open, so only the timeout ends it.
      const control = await t.client.execStream("node everything.mjs stdio", { timeoutSeconds: 0 }).collect();
      assert.equal(control.exitCode, SIGKILL_EXIT, `round ${round}: the default timeout did not kill the server`);
      const wallMs = Date.now() - started;
      assert.ok(wallMs < 30_000 / RATE + 5_000, `round ${round}: the agent's clock is not fast (${wallMs} ms)`);
    }
    assert.equal(session.closeReason, undefined);
    assert.equal(textOf(await session.callTool("echo", { message: "after a minute" })), "Echo: after a minute");
  });
});
