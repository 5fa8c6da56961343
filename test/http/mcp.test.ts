// End to end through `botbox serve` with real sandboxes: stdio MCP sessions
// over HTTP, the bots' configured MCP servers, and the MCP tool
// gateway spoken to with the SDK's own client.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

import { type AgentClient } from "../../packages/server/src/client/index.js";
import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { addBots, botAgent, botToken, removeServer } from "../support/bots.js";
import { uploadServer } from "../support/mcp-servers.js";

const A = "mcp-http-a";
const B = "mcp-http-b";
const EVERYTHING = { name: "everything", command: "node", args: ["/data/everything.mjs", "stdio"] };

describe("MCP over HTTP with real sandboxes", () => {
  let server: BotboxServer;
  let agentA: AgentClient;
  let tokenB: string;
  const clients: Client[] = [];

  const gateway = async (botId: string, token = server.adminToken) => {
    const client = new Client({ name: "gateway-test", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/bots/${botId}/tools`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    });
    await client.connect(transport);
    clients.push(client);
    return client;
  };
  const textOf = (result: unknown) =>
    ((result as { content: { type: string; text: string }[] }).content ?? []).map((part) => part.text).join("");

  before(async () => {
    server = await startBotboxServer();
    await addBots(server, [A, B]);
    agentA = await botAgent(server, A);
    await uploadServer(agentA, "everything", "/data/everything.mjs");
    tokenB = await botToken(server, B);
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    agentA?.close();
    await removeServer(server, [A, B]);
  });

  describe("stdio sessions", () => {
    let url: string;

    it("start: connection id, URL and the sorted tool names", async () => {
      const { status, body } = await server.api("POST", `/bots/${A}/mcp-stdio`, EVERYTHING);
      assert.equal(status, 200, JSON.stringify(body));
      assert.match(body.connection_id, /^[0-9a-f-]{36}$/);
      assert.equal(body.url, `/bots/${A}/mcp-stdio/${body.connection_id}`);
      assert.ok(body.tools.includes("echo"));
      assert.deepEqual(body.tools, [...body.tools].sort());
      url = body.url;
    });

    it("proxies requests with the caller's id, and answers initialize without a second handshake", async () => {
      const init = await server.api("POST", url, {
        jsonrpc: "2.0",
        id: "init",
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
      });
      assert.equal(init.status, 200);
      assert.equal(init.body.id, "init");
      assert.equal(init.body.result.serverInfo.name, "mcp-servers/everything");
      const list = await server.api("POST", url, { jsonrpc: "2.0", id: 7, method: "tools/list" });
      assert.equal(list.body.id, 7);
      assert.ok(list.body.result.tools.some((tool: { name: string }) => tool.name === "echo"));
      const call = await server.api("POST", url, {
        jsonrpc: "2.0",
        id: "c1",
        method: "tools/call",
        params: { name: "echo", arguments: { message: "through http" } },
      });
      assert.deepEqual(call.body.result.content, [{ type: "text", text: "Echo: through http" }]);
    });

    it("answers JSON-RPC mistakes as envelopes with HTTP 200, and notifications with 202", async () => {
      const version = await server.api("POST", url, { jsonrpc: "1.0", id: 1, method: "tools/list" });
      assert.deepEqual([version.status, version.body.error.code], [200, -32600]);
      const noMethod = await server.api("POST", url, { jsonrpc: "2.0", id: 2, method: "" });
      assert.deepEqual([noMethod.status, noMethod.body.error.code], [200, -32601]);
      const unknown = await server.api("POST", url, { jsonrpc: "2.0", id: 3, method: "no/such/method" });
      assert.deepEqual([unknown.status, unknown.body.id, unknown.body.error.code], [200, 3, -32601]);
      const noId = await server.api("POST", url, { jsonrpc: "2.0", method: "tools/list" });
      assert.deepEqual(
        [noId.status, noId.body.error.code, noId.body.error.message],
        [200, -32603, "missing request id"],
      );
      const note = await server.api("POST", url, { jsonrpc: "2.0", method: "notifications/roots/list_changed" });
      assert.deepEqual([note.status, note.body], [202, undefined]);
      const notJson = await server.api("POST", url, "[1,2");
      assert.equal(notJson.status, 400);
    });

    it("lists the bot's sessions; another bot sees neither the list nor the connection", async () => {
      const { body } = await server.api("GET", `/bots/${A}/mcp-stdio`);
      assert.deepEqual(
        body.sessions.map((session: { url: string; name: string }) => [session.url, session.name]),
        [[url, "everything"]],
      );
      assert.deepEqual((await server.api("GET", `/bots/${B}/mcp-stdio`)).body.sessions, []);
      const connectionId = url.split("/").pop();
      const viaB = await server.api("POST", `/bots/${B}/mcp-stdio/${connectionId}`, {
        jsonrpc: "2.0",
        id: 1,
        method: "tools/list",
      });
      assert.equal(viaB.status, 404);
      const asB = await server.api("POST", url, { jsonrpc: "2.0", id: 1, method: "tools/list" }, tokenB);
      assert.equal(asB.status, 404);
    });

    it("rejects a start without a command or with bad env names, starting nothing", async () => {
      const before = (await server.api("GET", `/bots/${A}/mcp-stdio`)).body.sessions.length;
      assert.equal((await server.api("POST", `/bots/${A}/mcp-stdio`, { args: [] })).status, 400);
      assert.equal((await server.api("POST", `/bots/${A}/mcp-stdio`, { command: "  " })).status, 400);
      const badEnv = await server.api("POST", `/bots/${A}/mcp-stdio`, { command: "node", env: { "A=B": "x" } });
      assert.equal(badEnv.status, 400);
      assert.equal((await server.api("GET", `/bots/${A}/mcp-stdio`)).body.sessions.length, before);
    });

    it("a server that cannot start is a clear error", async () => {
      const { status, body } = await server.api("POST", `/bots/${A}/mcp-stdio`, {
        command: "node",
        args: ["-e", "console.error('no such server here'); process.exit(3)"],
      });
      assert.equal(status, 503, JSON.stringify(body));
      assert.match(body.error.message, /no such server here|exit/);
    });

    it("DELETE closes the session; it is gone afterwards", async () => {
      assert.equal((await server.api("DELETE", url)).status, 204);
      assert.equal((await server.api("POST", url, { jsonrpc: "2.0", id: 1, method: "tools/list" })).status, 404);
      assert.equal((await server.api("DELETE", url)).status, 404);
    });
  });

  describe("configured MCP servers and the tool gateway", () => {
    it("stores a bot's servers, validating names and fields", async () => {
      const put = await server.api("PUT", `/bots/${A}/mcp-servers/every`, {
        command: "node",
        args: EVERYTHING.args,
        env: { GREETING: "hello there" },
      });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.deepEqual([put.body.name, put.body.command, put.body.enabled], ["every", "node", true]);
      assert.equal((await server.api("PUT", `/bots/${A}/mcp-servers/bad__name`, { command: "x" })).status, 400);
      assert.equal((await server.api("PUT", `/bots/${A}/mcp-servers/x`, { args: [] })).status, 400);
      assert.equal((await server.api("GET", `/bots/${A}/mcp-servers/nope`)).status, 404);
      const list = await server.api("GET", `/bots/${A}/mcp-servers`);
      assert.deepEqual(
        list.body.servers.map((entry: { name: string }) => entry.name),
        ["every"],
      );
      assert.equal((await server.api("GET", `/bots/${A}/mcp-servers`, undefined, tokenB)).status, 404);
      const tools = await server.api("GET", `/bots/${A}/mcp-servers/every/tools`);
      assert.ok(tools.body.tools.some((tool: { name: string }) => tool.name === "every__echo"));
    });

    it("the gateway lists the container tools with their schemas, then the federated ones", async () => {
      const client = await gateway(A);
      const { tools } = await client.listTools();
      const names = tools.map((tool) => tool.name);
      assert.deepEqual(names.slice(0, 6), ["read", "write", "list", "edit", "exec", "jobs"]);
      assert.ok(names.includes("every__echo"));
      const read = tools.find((tool) => tool.name === "read")!;
      assert.deepEqual(read.inputSchema.required, ["path"]);
    });

    it("calls each container tool against the real bot", async () => {
      const client = await gateway(A);
      const write = await client.callTool({ name: "write", arguments: { path: "notes/a.txt", content: "one\ntwo\n" } });
      assert.equal(write.isError, undefined, textOf(write));
      const read = await client.callTool({ name: "read", arguments: { path: "/data/notes/a.txt" } });
      assert.equal((read.structuredContent as { total_lines: number }).total_lines, 2);
      assert.match(textOf(read), /two/);
      const edit = await client.callTool({
        name: "edit",
        arguments: { path: "notes/a.txt", old_text: "two", new_text: "deux" },
      });
      assert.equal(edit.isError, undefined, textOf(edit));
      const list = await client.callTool({ name: "list", arguments: { path: "notes" } });
      assert.deepEqual(
        (list.structuredContent as { entries: { path: string }[] }).entries.map((entry) => entry.path),
        ["a.txt"],
      );
      const exec = await client.callTool({ name: "exec", arguments: { command: "cat notes/a.txt; hostname" } });
      const out = exec.structuredContent as { stdout: string; exit_code: number };
      assert.equal(out.exit_code, 0);
      assert.match(out.stdout, /^one\ndeux\n/);
      const jobs = await client.callTool({ name: "jobs", arguments: { action: "list" } });
      assert.equal(jobs.isError, undefined, textOf(jobs));
      const missing = await client.callTool({ name: "read", arguments: { path: "nope.txt" } });
      assert.equal(missing.isError, true);
      assert.match(textOf(missing), /not found/);
    });

    it("federated tools run in one long-lived process in the bot's workspace", async () => {
      const client = await gateway(A);
      const echo = await client.callTool({ name: "every__echo", arguments: { message: "hi" } });
      assert.equal(textOf(echo), "Echo: hi");
      const env = JSON.parse(textOf(await client.callTool({ name: "every__get-env", arguments: {} }))) as Record<
        string,
        string
      >;
      assert.equal(env.GREETING, "hello there");
      const processes = await agentA.exec("ps -eo args | grep -c '^node /data/everything.mjs stdio$'");
      assert.equal(processes.stdout.trim(), "1");
      const unknownTool = await client.callTool({ name: "every__no-such-tool", arguments: {} });
      assert.equal(unknownTool.isError, true);
      assert.match(textOf(unknownTool), /no-such-tool/);
      await assert.rejects(client.callTool({ name: "nosuch", arguments: {} }), /unknown tool/);
    });

    it("needs a token, and a bot token reaches only its own bot's gateway", async () => {
      const anonymous = await fetch(`${server.url}/bots/${A}/tools`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      });
      assert.equal(anonymous.status, 401);
      await assert.rejects(gateway(A, tokenB), /bot mcp-http-a not found/);
      const own = await gateway(B, tokenB);
      assert.deepEqual(
        (await own.listTools()).tools.map((tool) => tool.name),
        ["read", "write", "list", "edit", "exec", "jobs"],
      );
      assert.equal(
        (await fetch(`${server.url}/bots/${A}/tools`, { headers: { authorization: `Bearer ${server.adminToken}` } }))
          .status,
        405,
      );
    });

    it("stopping the bot ends its sessions and servers", async () => {
      const started = await server.api("POST", `/bots/${A}/mcp-stdio`, EVERYTHING);
      assert.equal(started.status, 200);
      assert.equal((await server.api("POST", `/bots/${A}/container/stop`, {})).status, 200);
      assert.deepEqual((await server.api("GET", `/bots/${A}/mcp-stdio`)).body.sessions, []);
      assert.equal((await server.api("POST", `/bots/${A}/container/start`)).status, 200);
      // The federated server starts again at its next use.
      const client = await gateway(A);
      assert.equal(
        textOf(await client.callTool({ name: "every__echo", arguments: { message: "back" } })),
        "Echo: back",
      );
    });
  });
});
