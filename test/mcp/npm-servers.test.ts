// Real MCP servers from npm, bundled into one file each and run from the
// bot's data folder through a real agent's Exec.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { StdioSession } from "../../packages/server/src/mcp/index.js";
import { uploadServer } from "../support/mcp-servers.js";
import { eventually, startTestAgent, type TestAgent, textOf } from "./support.js";

describe("StdioSession with real npm MCP servers", () => {
  let t: TestAgent;
  let everything: StdioSession;
  let filesystem: StdioSession;

  before(async () => {
    t = await startTestAgent();
    await t.client.mkdir("servers");
    await uploadServer(t.client, "everything", "servers/everything.mjs");
    await uploadServer(t.client, "filesystem", "servers/filesystem.mjs");
    await t.client.writeFile("notes/hello.txt", "hello from the data folder\n");
    const common = { client: t.client, botId: t.agent.botId, logger: t.logger, rootsUri: t.rootsUri };
    [everything, filesystem] = await Promise.all([
      StdioSession.start({
        ...common,
        name: "everything",
        command: "node",
        args: ["everything.mjs", "stdio"],
        cwd: "servers",
        env: { SPECIAL_VALUE: "spaces and $dollars and `ticks`" },
      }),
      // No allowed folder on the command line: the server takes the client's roots.
      StdioSession.start({ ...common, name: "filesystem", command: "node", args: ["servers/filesystem.mjs"] }),
    ]);
  });
  after(async () => {
    await Promise.all([everything?.close(), filesystem?.close()]);
    await t.stop();
  });

  it("initializes: an explicit initialize is answered with the server's own info", async () => {
    const envelope = await everything.call({ jsonrpc: "2.0", id: 1, method: "initialize", params: {} });
    const result = (envelope as { result: { serverInfo: { name: string }; capabilities: object } }).result;
    assert.match(result.serverInfo.name, /everything/);
    assert.ok("tools" in result.capabilities);
  });

  it("lists the everything server's tools and calls echo", async () => {
    const names = (await everything.listTools()).map((tool) => tool.name);
    for (const name of ["echo", "get-env", "get-sum", "trigger-long-running-operation"])
      assert.ok(names.includes(name), name);
    assert.equal(textOf(await everything.callTool("echo", { message: "hi there" })), "Echo: hi there");
    const envelope = await everything.call({
      id: "sum",
      method: "tools/call",
      params: { name: "get-sum", arguments: { a: 2, b: 3 } },
    });
    assert.match(textOf((envelope as { result: unknown }).result), /5/);
  });

  it("answers the everything server's roots/list", async () => {
    const listed = await eventually(async () =>
      (await everything.listTools()).some((tool) => tool.name === "get-roots-list") ? true : undefined,
    );
    assert.ok(listed);
    const text = textOf(await everything.callTool("get-roots-list"));
    assert.match(text, /Current MCP Roots \(1 total\)/);
    assert.ok(text.includes(`URI: ${t.rootsUri}`), text);
  });

  it("forwards the caller's ping to the server and returns its answer", async () => {
    assert.deepEqual(await everything.call({ jsonrpc: "2.0", id: "p", method: "ping" }), {
      jsonrpc: "2.0",
      id: "p",
      result: {},
    });
  });

  it("gives the server its configured env (the relative cwd is proven by the relative script path it started from)", async () => {
    const env = JSON.parse(textOf(await everything.callTool("get-env"))) as Record<string, string>;
    assert.equal(env.SPECIAL_VALUE, "spaces and $dollars and `ticks`");
  });

  it("keeps a long tool call alive through its progress notifications", async () => {
    const result = await everything.callTool(
      "trigger-long-running-operation",
      { duration: 2, steps: 8 },
      { timeoutMs: 1_000 },
    );
    assert.match(textOf(result), /completed/i);
  });

  it("serves the filesystem server the data folder as its root, and lists and reads through it", async () => {
    const allowed = await eventually(async () => {
      const text = textOf(await filesystem.callTool("list_allowed_directories"));
      return text.includes(t.agent.dataDir) ? text : undefined;
    });
    assert.ok(allowed);
    const listing = textOf(await filesystem.callTool("list_directory", { path: t.agent.dataDir }));
    assert.match(listing, /\[DIR\] notes/);
    assert.match(listing, /\[DIR\] servers/);
    const read = await filesystem.callTool("read_text_file", { path: path.join(t.agent.dataDir, "notes/hello.txt") });
    assert.equal(textOf(read), "hello from the data folder\n");
    const outside = await filesystem.callTool("read_text_file", { path: "/etc/hostname" });
    assert.equal(outside.isError, true, "a path outside the roots is refused");
  });

  it("passes the caller's notifications to the server: roots/list_changed makes it ask for roots again", async () => {
    const answered = () =>
      t.logger.entries.filter(
        (entry) => entry.message === "mcp roots/list answered" && entry.fields.mcpSession === filesystem.id,
      ).length;
    const before = answered();
    await filesystem.notify({ jsonrpc: "2.0", method: "notifications/roots/list_changed" });
    await eventually(() => (answered() > before ? true : undefined));
  });
});
