import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { ConflictError, NotFoundError, UnavailableError } from "../../packages/server/src/errors.js";
import {
  McpCancelledError,
  McpSessionClosedError,
  probeTools,
  type StdioServerConfig,
  StdioSessionRegistry,
} from "../../packages/server/src/mcp/index.js";
import { eventually, startTestAgent, type TestAgent } from "./support.js";

describe("StdioSessionRegistry", () => {
  let t: TestAgent;
  let scripted: StdioServerConfig;
  const registries: StdioSessionRegistry[] = [];

  before(async () => {
    t = await startTestAgent();
    const { name, command, args } = t.scripted();
    scripted = { name, command, args };
  });
  after(async () => {
    await Promise.all(registries.map((registry) => registry.shutdown()));
    await t.stop();
  });

  /** A registry whose agents are all the one test agent: bots "a" and "b" share it. */
  function newRegistry(
    options: { idleMs?: number; sweepIntervalMs?: number; maxSessionsPerBot?: number } = {},
  ): StdioSessionRegistry {
    const registry = new StdioSessionRegistry({
      agents: { agentFor: async () => t.client },
      logger: t.logger,
      session: { rootsUri: t.rootsUri },
      ...options,
    });
    registries.push(registry);
    return registry;
  }

  it("registers a session under its connection id, for its own bot only", async () => {
    const registry = newRegistry();
    const { connectionId, session } = await registry.create("a", scripted);
    assert.equal(connectionId, session.id);
    assert.match(connectionId, /^[0-9a-f-]{36}$/);
    assert.equal(session.botId, "a");
    assert.equal(registry.get("a", connectionId), session);
    assert.throws(() => registry.get("b", connectionId), {
      name: "NotFoundError",
      message: "mcp connection not found",
    });
    assert.throws(() => registry.get("a", "no-such-id"), NotFoundError);
    assert.deepEqual(registry.list("a"), [session]);
    assert.deepEqual(registry.list("b"), []);
  });

  it("closes a session on request and forgets it", async () => {
    const registry = newRegistry();
    const { connectionId, session } = await registry.create("a", scripted);
    await assert.rejects(registry.close("b", connectionId), NotFoundError);
    await registry.close("a", connectionId);
    assert.equal(session.closeReason, "closed by request");
    assert.throws(() => registry.get("a", connectionId), NotFoundError);
    assert.equal(registry.size, 0);
  });

  it("closes every session of one bot and none of another's", async () => {
    const registry = newRegistry();
    const [a1, a2, b1] = await Promise.all([
      registry.create("a", scripted),
      registry.create("a", scripted),
      registry.create("b", scripted),
    ]);
    await registry.closeAllForBot("a");
    assert.equal(a1.session.closeReason, "bot stopped");
    assert.equal(a2.session.closeReason, "bot stopped");
    assert.equal(b1.session.closeReason, undefined);
    assert.deepEqual(registry.list("a"), []);
    assert.deepEqual(registry.list("b"), [b1.session]);
  });

  it("reaps sessions idle longer than the idle time, but not one with a call in flight", async () => {
    // The sweep is given its clock (reapIdle(now)): an hour passes without being waited for.
    const registry = newRegistry({ idleMs: 3_600_000 });
    const later = () => Date.now() + 3_600_001;
    const idle = await registry.create("a", scripted);
    const busy = await registry.create("a", scripted);
    const call = busy.session.call({ id: 1, method: "tools/call", params: { name: "never" } });
    registry.reapIdle(later());
    await idle.session.closed;
    assert.match(idle.session.closeReason!, /^idle for more than 3600000 ms$/);
    assert.throws(() => registry.get("a", idle.connectionId), NotFoundError);
    assert.equal(registry.get("a", busy.connectionId), busy.session, "a call in flight keeps its session");
    await busy.session.notify({ method: "notifications/cancelled", params: { requestId: 1 } });
    await assert.rejects(call, McpCancelledError);
    registry.reapIdle(Date.now());
    assert.equal(registry.get("a", busy.connectionId), busy.session, "in use until a moment ago");
    registry.reapIdle(later());
    await busy.session.closed;
    assert.equal(registry.size, 0);
  });

  it("sweeps for idle sessions on its own timer", { timeout: 5_000 }, async () => {
    // This one is about time passing: a 100 ms idle time, swept every 20 ms.
    const registry = newRegistry({ idleMs: 100, sweepIntervalMs: 20 });
    const { session } = await registry.create("a", scripted);
    await session.closed;
    assert.equal(session.closeReason, "idle for more than 100 ms");
    assert.equal(registry.size, 0);
  });

  it("removes a session whose server crashed mid-call; the caller learns why", async () => {
    const registry = newRegistry();
    const { connectionId, session } = await registry.create("a", scripted);
    await assert.rejects(
      session.call({ id: 1, method: "tools/call", params: { name: "crash" } }),
      (error: unknown) => error instanceof McpSessionClosedError && /exited with code 3/.test(error.message),
    );
    await eventually(() => (registry.size === 0 ? true : undefined));
    assert.throws(() => registry.get("a", connectionId), { message: "mcp connection not found" });
  });

  it("probes a session's tools: trimmed, sorted names; undefined when the probe fails", async () => {
    const registry = newRegistry();
    const { session } = await registry.create("a", scripted);
    assert.deepEqual(await probeTools(session, t.logger), [
      "crash",
      "junk",
      "never",
      "notify",
      "pid",
      "roots",
      "slow",
      "unfinished",
      "whereami",
    ]);
    await session.close();
    assert.equal(await probeTools(session, t.logger), undefined);
    assert.ok(t.logger.entries.some((entry) => entry.message === "mcp tool probe failed"));
  });

  it("refuses a bot's session past maxSessionsPerBot with 409, counting those still starting, until one closes", async () => {
    const registry = newRegistry({ maxSessionsPerBot: 2 });
    const starts = await Promise.allSettled([1, 2, 3].map(() => registry.create("a", scripted)));
    assert.deepEqual(
      starts.map((start) => start.status),
      ["fulfilled", "fulfilled", "rejected"],
    );
    const refusal = (starts[2] as PromiseRejectedResult).reason as Error;
    assert.ok(refusal instanceof ConflictError, String(refusal));
    assert.match(refusal.message, /bot a has 2 stdio MCP sessions open, the most it may have at once/);
    assert.equal(registry.list("a").length, 2);
    // Another bot has its own allowance; a closed session frees a place.
    await registry.create("b", scripted);
    await registry.close("a", registry.list("a")[0]!.id);
    await registry.create("a", scripted);
    assert.equal(registry.list("a").length, 2);
  });

  it("fails create when the server does not start, and registers nothing", async () => {
    const registry = newRegistry();
    await assert.rejects(registry.create("a", { name: "broken", command: "exit 9" }), McpSessionClosedError);
    await assert.rejects(registry.create("a", { name: "empty", command: " " }), { name: "BadRequestError" });
    assert.equal(registry.size, 0);
  });

  it("closes everything on shutdown and refuses new sessions after", async () => {
    const registry = newRegistry();
    const { session } = await registry.create("a", scripted);
    await registry.shutdown();
    assert.equal(session.closeReason, "server shutting down");
    await assert.rejects(registry.create("a", scripted), UnavailableError);
  });
});
