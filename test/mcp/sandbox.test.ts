// End to end: a real `botbox serve`, a real bubblewrap sandbox, and a real
// MCP server from npm running inside it, reached through the bot's agent.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { type AgentClient } from "../../packages/server/src/client/index.js";
import { StdioSession } from "../../packages/server/src/mcp/index.js";
import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { addBots, botAgent, removeServer } from "../support/bots.js";
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
    await addBots(server, [BOT]);
    client = await botAgent(server, BOT);
    await uploadServer(client, "everything", "/data/everything.mjs");
    await uploadServer(client, "filesystem", "/data/filesystem.mjs");
  });
  after(async () => {
    await Promise.all(sessions.map((session) => session.close()));
    client?.close();
    await removeServer(server, [BOT]);
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
