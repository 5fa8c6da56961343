import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";

import type { Notification } from "@modelcontextprotocol/sdk/types.js";

import { McpCancelledError, McpSessionClosedError, McpTimeoutError } from "../../packages/server/src/mcp/index.js";
import { eventually, scriptedSessionSuite, textOf, wireLog } from "./support.js";

describe("StdioSession with a scripted server", () => {
  const t = scriptedSessionSuite();
  const start = t.start;

  it("ends the session when the server crashes mid-call: every caller gets its exit code and last stderr lines", async () => {
    const session = await start();
    const waiting = session.call({ id: "w", method: "tools/call", params: { name: "never" } });
    const crashing = session.call({ id: "c", method: "tools/call", params: { name: "crash" } });
    for (const call of [crashing, waiting]) {
      await assert.rejects(call, (error: unknown) => {
        assert.ok(error instanceof McpSessionClosedError);
        assert.equal(error.exitCode, 3);
        assert.match(error.message, /server exited with code 3/);
        assert.match(error.message, /boom: tool crashed/);
        assert.deepEqual(error.stderrTail, ["about to crash", "boom: tool crashed"]);
        return true;
      });
    }
    assert.equal(session.closeReason, "server exited with code 3");
    assert.equal(session.exitCode, 3);
    await session.closed;
    const stderr = t.logger.entries.filter(
      (entry) => entry.message === "mcp stderr" && entry.fields.mcpSession === session.id,
    );
    assert.deepEqual(
      stderr.map((entry) => [entry.level, entry.fields.line, entry.fields.botId, entry.fields.mcpServer]),
      [
        ["warn", "about to crash", t.agent.botId, "scripted"],
        ["warn", "boom: tool crashed", t.agent.botId, "scripted"],
      ],
    );
  });

  it("answers the server's roots/list with the data folder and its ping", async () => {
    await start(["--ask-roots", "--log", "asked.log"]);
    const answers = await eventually(async () => {
      const lines = await wireLog(t.client, "asked.log");
      return lines.find((line) => line.answers)?.answers;
    });
    assert.deepEqual(answers, [{ roots: [{ uri: t.rootsUri, name: "data" }] }, {}]);
  });

  it("answers roots/list asked in the middle of a tool call", async () => {
    const session = await start();
    assert.deepEqual(await session.call({ id: 1, method: "tools/call", params: { name: "roots" } }), {
      jsonrpc: "2.0",
      id: 1,
      result: { roots: [{ uri: t.rootsUri, name: "data" }] },
    });
  });

  it("lets progress notifications keep a long call alive past its timeout", async () => {
    const session = await start();
    const started = Date.now();
    const result = await session.callTool("slow", { ms: 1_500, progressEveryMs: 100 }, { timeoutMs: 500 });
    assert.equal(textOf(result), "done");
    assert.ok(Date.now() - started >= 1_500);
    await assert.rejects(session.callTool("slow", { ms: 1_500 }, { timeoutMs: 500 }), McpTimeoutError);
  });

  it("carries notifications both ways", async () => {
    const received: Notification[] = [];
    const session = await start(["--log", "notes.log"], { onNotification: (note) => received.push(note) });
    await session.notify({ jsonrpc: "2.0", method: "notifications/custom", params: { hello: "server" } });
    assert.equal(textOf(await session.callTool("notify", { data: "hello client" })), "sent");
    const wire = await wireLog(t.client, "notes.log");
    assert.deepEqual(
      wire.find((line) => line.method === "notifications/custom"),
      { jsonrpc: "2.0", method: "notifications/custom", params: { hello: "server" } },
    );
    await eventually(() => (received.length > 0 ? true : undefined));
    assert.deepEqual(received, [
      { jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "hello client" } },
    ]);
  });

  it("cancels the caller's own request on its notifications/cancelled, under the SDK's id on the wire", async () => {
    const session = await start(["--log", "cancel.log"]);
    const call = session.call({ id: 42, method: "tools/call", params: { name: "never" } });
    // Counted as waiting from the moment call() is made, before any await: no need to wait for it.
    assert.equal(session.pendingRequests, 1);
    await session.notify({ method: "notifications/cancelled", params: { requestId: "42" } });
    assert.equal(session.pendingRequests, 1, "string 42 is not number 42");
    await session.notify({ method: "notifications/cancelled", params: { requestId: 42, reason: "changed my mind" } });
    await assert.rejects(call, McpCancelledError);
    const wire = await eventually(async () => {
      const lines = await wireLog(t.client, "cancel.log");
      return lines.some((line) => line.method === "notifications/cancelled") ? lines : undefined;
    });
    const sent = wire.find((line) => line.method === "tools/call");
    const cancelled = wire.filter((line) => line.method === "notifications/cancelled");
    assert.equal(cancelled.length, 1);
    assert.equal((cancelled[0]!.params as { requestId: unknown }).requestId, sent?.id);
  });

  it("passes env through the Exec env field, args verbatim, and runs in a cwd relative to the data folder", async () => {
    await t.client.mkdir("work dir/sub");
    const awkward = ["two words", "#not-a-comment", "~", "K=V", "$HOME", "it's", '"quoted"', "", "a;b|c&d", "`x`"];
    const session = await start([], {
      cwd: "work dir/sub",
      args: ["../../scripted-server.mjs", ...awkward],
      env: { GREETING: "hello there $HOME `id` 'q'", EMPTY: "", "  ": "blank keys are dropped" },
    });
    const seen = JSON.parse(textOf(await session.callTool("whereami"))) as {
      cwd: string;
      argv: string[];
      env: Record<string, string>;
    };
    assert.equal(seen.cwd, path.join(t.agent.dataDir, "work dir/sub"));
    assert.deepEqual(seen.argv, awkward);
    assert.equal(seen.env.GREETING, "hello there $HOME `id` 'q'");
    assert.equal(seen.env.EMPTY, "");
    assert.equal(seen.env["  "], undefined);
  });

  it("skips and logs a stdout line that is not JSON-RPC, and carries on", async () => {
    const session = await start();
    assert.equal(textOf(await session.callTool("junk")), "after the junk");
    assert.ok(
      t.logger.entries.some(
        (entry) => entry.message === "mcp protocol error" && entry.fields.mcpSession === session.id,
      ),
    );
    assert.equal(textOf(await session.callTool("pid")).split(" ")[1], "2");
  });

  it("closes the session, saying why, once the server holds more than maxLineBytes on one unfinished line", async () => {
    const session = await start([], { maxLineBytes: 256 * 1024 });
    // Under the limit, the line is held and the session lives on.
    await assert.rejects(session.callTool("unfinished", { bytes: 200 * 1024 }, { timeoutMs: 500 }), McpTimeoutError);
    const call = session.callTool("unfinished", { bytes: 100 * 1024 }, { timeoutMs: 5_000 });
    await assert.rejects(call, (error: unknown) => {
      assert.ok(error instanceof McpSessionClosedError, String(error));
      assert.match(error.message, /more than 262144 bytes to stdout without a newline/);
      return true;
    });
    assert.match(session.closeReason ?? "", /without a newline/);
  });

  it("holds at most 1 MiB of an unfinished line by default", async () => {
    const session = await start();
    await assert.rejects(
      session.callTool("unfinished", { bytes: 2 * 2 ** 20 }, { timeoutMs: 5_000 }),
      McpSessionClosedError,
    );
  });

  it("fails to start with the exit code and stderr when the command does not exist", async () => {
    await assert.rejects(start([], { command: "no-such-mcp-server-command", args: [] }), (error: unknown) => {
      assert.ok(error instanceof McpSessionClosedError);
      assert.equal(error.exitCode, 127);
      assert.match(error.message, /exited with code 127/);
      assert.match(error.message, /no-such-mcp-server-command.*not found/);
      return true;
    });
  });
});
