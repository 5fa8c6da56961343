// In a file of its own: it waits a minute, and runs beside the other suites.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { StdioSession } from "../../packages/server/src/mcp/index.js";
import { uploadServer } from "../support/mcp-servers.js";
import { startTestAgent, type TestAgent, textOf } from "./support.js";

describe("a long-lived stdio session", () => {
  let t: TestAgent;
  let session: StdioSession;

  before(async () => {
    t = await startTestAgent();
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

  it("stays alive and answers after 61 s, past the agent's 30 s default exec timeout that killed the original's servers", async () => {
    assert.equal(textOf(await session.callTool("echo", { message: "before" })), "Echo: before");
    await new Promise((resolve) => setTimeout(resolve, 61_000));
    assert.equal(session.closeReason, undefined);
    assert.equal(textOf(await session.callTool("echo", { message: "after a minute" })), "Echo: after a minute");
  });
});
