// End to end: a real `botbox serve`, a real bubblewrap sandbox, and a real
// MCP server from npm running inside it, reached through the bot's agent.
import assert from "node:assert/strict";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { AgentClient } from "../../packages/server/src/client/index.js";
import { StdioSession } from "../../packages/server/src/mcp/index.js";
import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { uploadServer } from "../support/mcp-servers.js";
import { captureLogger, eventually, textOf } from "./support.js";

const BOT = "mcp-e2e";

describe("stdio MCP sessions inside a real sandbox", () => {
  let server: BotboxServer;
  let client: AgentClient;
  const logger = captureLogger();
  const sessions: StdioSession[] = [];

  before(async () => {
    server = await startBotboxServer();
    assert.equal((await server.api("POST", "/bots", { id: BOT, name: "mcp e2e" })).status, 201);
    const container = await server.api("POST", `/bots/${BOT}/container`);
    assert.equal(container.body.status, "running", JSON.stringify(container.body));
    // The sandbox runtime's layout: the agent listens on <home>/bots/<id>/run/agent.sock
    // with the token kept in the bot's container record.
    const botDir = path.join(server.home, "bots", BOT);
    const record = JSON.parse(await readFile(path.join(botDir, "container.json"), "utf8")) as {
      spec: { agentToken: string };
    };
    client = new AgentClient({
      address: `unix:${path.join(botDir, "run", "agent.sock")}`,
      token: record.spec.agentToken,
    });
    assert.equal((await client.info()).botId, BOT);
    await uploadServer(client, "everything", "/data/everything.mjs");
    await uploadServer(client, "filesystem", "/data/filesystem.mjs");
  });
  after(async () => {
    await Promise.all(sessions.map((session) => session.close()));
    client?.close();
    await server?.api("DELETE", `/bots/${BOT}`);
    await server?.stop();
    if (server) await rm(server.home, { recursive: true, force: true });
  });

  async function start(name: string, args: string[], env?: Record<string, string>): Promise<StdioSession> {
    const session = await StdioSession.start({ client, botId: BOT, logger, name, command: "node", args, env });
    sessions.push(session);
    return session;
  }

  it("runs the everything server from /data and talks to it: tools, echo, env, roots", async () => {
    const session = await start("everything", ["/data/everything.mjs", "stdio"], { IN_SANDBOX: "yes it is" });
    assert.ok((await session.listTools()).some((tool) => tool.name === "echo"));
    assert.equal(textOf(await session.callTool("echo", { message: "from the sandbox" })), "Echo: from the sandbox");
    const env = JSON.parse(textOf(await session.callTool("get-env"))) as Record<string, string>;
    assert.equal(env.IN_SANDBOX, "yes it is");
    const roots = await eventually(async () => {
      const tools = await session.listTools();
      return tools.some((tool) => tool.name === "get-roots-list") ? session.callTool("get-roots-list") : undefined;
    });
    assert.match(textOf(roots), /URI: file:\/\/\/data\b/);
  });

  it("gives the filesystem server /data as its root, by default", async () => {
    const session = await start("filesystem", ["filesystem.mjs"]);
    await client.writeFile("/data/inside.txt", "written inside\n");
    await eventually(async () =>
      textOf(await session.callTool("list_allowed_directories")).includes("/data") ? true : undefined,
    );
    const listing = textOf(await session.callTool("list_directory", { path: "/data" }));
    assert.match(listing, /\[FILE\] inside\.txt/);
    assert.equal(textOf(await session.callTool("read_text_file", { path: "/data/inside.txt" })), "written inside\n");
  });

  it("ends a session whose server is killed from another exec, saying how it exited", async () => {
    const session = await start("victim", ["/data/everything.mjs", "stdio", "victim"]);
    const kill = await client.exec(
      'for p in /proc/[0-9]*; do if tr "\\0" " " < $p/cmdline 2>/dev/null | grep -q "^node /data/everything.mjs stdio victim"; then kill -TERM ${p#/proc/}; fi; done',
    );
    assert.equal(kill.exitCode, 0, kill.stderr);
    await session.closed;
    assert.match(session.closeReason!, /^server exited with code \d+$/);
    await assert.rejects(session.callTool("echo", { message: "too late" }), /ended: server exited with code/);
  });
});
