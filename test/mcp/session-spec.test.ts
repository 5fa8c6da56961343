// The original's seven session tests (response and error envelopes, retry
// after a failed initialize, no doubled handshake, pending calls cleaned up
// on cancel and on close, the read loop ending on close), against a real
// agent and a real (scripted) stdio server instead of a fake connection.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { BadRequestError } from "../../packages/server/src/errors.js";
import { McpSessionClosedError, McpTimeoutError } from "../../packages/server/src/mcp/index.js";
import { eventually, processExists, scriptedSessionSuite, textOf, wireLog } from "./support.js";

describe("StdioSession", () => {
  const t = scriptedSessionSuite();
  const start = (...flags: string[]) => t.start(flags);

  it("answers a call with a whole envelope: jsonrpc 2.0, the caller's id, a result and no error", async () => {
    const session = await start();
    const envelope = await session.call({ jsonrpc: "2.0", id: "req-1", method: "tools/list" });
    assert.deepEqual(Object.keys(envelope).sort(), ["id", "jsonrpc", "result"]);
    assert.equal(envelope.jsonrpc, "2.0");
    assert.equal(envelope.id, "req-1");
    assert.ok(Array.isArray((envelope as { result: { tools: unknown[] } }).result.tools));
    // The raw id is kept as it came: a number stays a number.
    assert.equal((await session.call({ id: 7, method: "ping" })).id, 7);
  });

  it("answers a server's JSON-RPC error with an error envelope and throws nothing", async () => {
    const session = await start();
    const envelope = await session.call({ jsonrpc: "2.0", id: 3, method: "no/such/method" });
    assert.deepEqual(envelope, {
      jsonrpc: "2.0",
      id: 3,
      error: { code: -32601, message: "Method not found: no/such/method" },
    });
    assert.equal("result" in envelope, false);
  });

  it("retries initialize after a failure: the SDK handshakes in start, so the first start fails with the server's error and the next start succeeds (2 initialize requests in all)", async () => {
    const flags = ["--fail-init-once", "init-failed-once", "--log", "init-retry.log"];
    await assert.rejects(start(...flags), (error: unknown) => {
      assert.ok(error instanceof McpSessionClosedError);
      assert.match(error.message, /initialize failed: scripted initialize failure/);
      return true;
    });
    const session = await start(...flags);
    const envelope = await session.call({ id: 1, method: "tools/list" });
    assert.ok("result" in envelope);
    const initializes = (await wireLog(t.client, "init-retry.log")).filter((line) => line.method === "initialize");
    assert.equal(initializes.length, 2);
  });

  it("answers an explicit initialize from the handshake: one initialize and one notifications/initialized on the wire", async () => {
    const session = await start("--log", "no-doubling.log");
    const initialized = await session.call({
      jsonrpc: "2.0",
      id: "init",
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "caller", version: "1" } },
    });
    assert.equal(initialized.id, "init");
    const result = (initialized as { result: Record<string, unknown> }).result;
    assert.deepEqual(result.serverInfo, { name: "scripted", version: "1.0.0" });
    assert.deepEqual(result.capabilities, { tools: {} });
    assert.equal(typeof result.protocolVersion, "string");
    assert.equal(result.instructions, "a scripted server");
    await session.notify({ jsonrpc: "2.0", method: "notifications/initialized" });
    await session.call({ id: "init-2", method: "notifications/initialized" });
    assert.ok("result" in (await session.call({ id: "init", method: "tools/list" })));
    const wire = await wireLog(t.client, "no-doubling.log");
    assert.equal(wire.filter((line) => line.method === "initialize").length, 1);
    assert.equal(wire.filter((line) => line.method === "notifications/initialized").length, 1);
    // The caller's ids never reach the server: no clash with the SDK's own.
    assert.equal(
      wire.some((line) => line.id === "init"),
      false,
    );
  });

  it("fails a call that outlives its timeout, leaves nothing pending and tells the server to cancel", async () => {
    const session = await start("--log", "timeout.log");
    const started = Date.now();
    await assert.rejects(
      session.call({ id: "slow", method: "tools/call", params: { name: "never" } }, { timeoutMs: 30 }),
      McpTimeoutError,
    );
    assert.ok(Date.now() - started < 2_000);
    assert.equal(session.pendingRequests, 0);
    const wire = await wireLog(t.client, "timeout.log");
    const call = wire.find((line) => line.method === "tools/call");
    const cancelled = wire.find((line) => line.method === "notifications/cancelled");
    assert.deepEqual((cancelled?.params as { requestId: unknown }).requestId, call?.id);
    assert.ok("result" in (await session.call({ id: 2, method: "ping" })), "the session still works");
  });

  it("unblocks a waiting call within 2 s of close and leaves nothing pending", async () => {
    const session = await start();
    const blocked = session.call({ id: 1, method: "tools/call", params: { name: "never" } });
    // Counted as waiting from the moment call() is made, before any await: no need to wait for it.
    assert.equal(session.pendingRequests, 1);
    const closing = Date.now();
    void session.close("test closes it");
    await assert.rejects(blocked, (error: unknown) => {
      assert.ok(error instanceof McpSessionClosedError);
      assert.match(error.message, /test closes it/);
      return true;
    });
    assert.ok(Date.now() - closing < 2_000);
    assert.equal(session.pendingRequests, 0);
    await assert.rejects(session.call({ id: 2, method: "ping" }), McpSessionClosedError);
  });

  it("ends its read loop within 2 s of close, killing a server that ignores end of input", async () => {
    const session = await start("--ignore-eof");
    const pid = Number(textOf((await session.callTool("pid")) as unknown).split(" ")[0]);
    assert.ok(processExists(pid));
    const closing = Date.now();
    await session.close();
    await session.closed;
    assert.ok(Date.now() - closing < 2_000, `closed after ${Date.now() - closing} ms`);
    // The agent kills the process group once it sees the cancel.
    await eventually(() => (processExists(pid) ? undefined : true), 2_000);
  });

  it("refuses a request without an id; answers a wrong jsonrpc version or params that are not an object with error envelopes", async () => {
    const session = await start();
    await assert.rejects(session.call({ method: "ping" }), BadRequestError);
    await assert.rejects(session.call({ id: null, method: "ping" }), BadRequestError);
    assert.deepEqual(await session.call({ jsonrpc: "1.0", id: 1, method: "ping" }), {
      jsonrpc: "2.0",
      id: 1,
      error: { code: -32600, message: "invalid jsonrpc version" },
    });
    assert.equal(((await session.call({ id: 2, method: "" })) as { error: { code: number } }).error.code, -32601);
    const positional = await session.call({ id: 3, method: "tools/call", params: ["pid"] });
    assert.equal((positional as { error: { code: number } }).error.code, -32602);
  });
});
