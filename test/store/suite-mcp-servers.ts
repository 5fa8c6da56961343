import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { assertRecentDate, rejectsWith, withStore } from "./harness.js";
import type { StoreTarget } from "./targets.js";

export function mcpServerTests(target: StoreTarget): void {
  describe("bots' MCP servers", () => {
    it("are created, read, listed by name, replaced and deleted", () =>
      withStore(target, async (store) => {
        const bot = await store.createBot({ displayName: "b" });
        const created = await store.putMcpServer(bot.id, "fs", {
          command: "npx",
          args: ["-y", "@modelcontextprotocol/server-filesystem", "/data"],
          env: { API_KEY: "a b $c" },
          cwd: "work",
        });
        assert.deepEqual(
          { ...created, createdAt: undefined, updatedAt: undefined },
          {
            botId: bot.id,
            name: "fs",
            command: "npx",
            args: ["-y", "@modelcontextprotocol/server-filesystem", "/data"],
            env: { API_KEY: "a b $c" },
            cwd: "work",
            enabled: true,
            createdAt: undefined,
            updatedAt: undefined,
          },
        );
        assertRecentDate(created.createdAt, "createdAt");
        await store.putMcpServer(bot.id, "alpha", { command: "node", args: ["server.js"] });
        assert.deepEqual(
          (await store.listMcpServers(bot.id)).map((server) => server.name),
          ["alpha", "fs"],
        );
        const replaced = await store.putMcpServer(bot.id, "fs", { command: "uvx", enabled: false });
        assert.deepEqual(
          [replaced.command, replaced.args, replaced.env, replaced.cwd, replaced.enabled],
          ["uvx", [], {}, "", false],
        );
        assert.deepEqual((await store.getMcpServer(bot.id, "fs"))?.command, "uvx");
        assert.equal(await store.deleteMcpServer(bot.id, "fs"), true);
        assert.equal(await store.deleteMcpServer(bot.id, "fs"), false);
        assert.equal(await store.getMcpServer(bot.id, "fs"), undefined);
      }));

    it("belong to one bot: another bot's list does not show them, deleting the bot drops them", () =>
      withStore(target, async (store, database) => {
        const a = await store.createBot({ displayName: "a" });
        const b = await store.createBot({ displayName: "b" });
        await store.putMcpServer(a.id, "shared-name", { command: "a-cmd" });
        await store.putMcpServer(b.id, "shared-name", { command: "b-cmd" });
        assert.equal((await store.getMcpServer(b.id, "shared-name"))?.command, "b-cmd");
        await store.deleteBot(a.id);
        assert.deepEqual(await store.listMcpServers(a.id), []);
        assert.equal((await database.rows("mcp_servers")).length, 1);
      }));

    it("reject bad input with the field named, and change nothing", () =>
      withStore(target, async (store) => {
        const bot = await store.createBot({ displayName: "b" });
        await rejectsWith(store.putMcpServer("nobody", "x", { command: "c" }), "not_found", "nobody");
        await rejectsWith(store.putMcpServer(bot.id, "a__b", { command: "c" }), "bad_request", "name");
        await rejectsWith(store.putMcpServer(bot.id, "has space", { command: "c" }), "bad_request", "name");
        await rejectsWith(store.putMcpServer(bot.id, "_lead", { command: "c" }), "bad_request", "name");
        await rejectsWith(store.putMcpServer(bot.id, "x", { command: "  " }), "bad_request", "command");
        await rejectsWith(
          store.putMcpServer(bot.id, "x", { command: "c", env: { "1BAD": "v" } }),
          "bad_request",
          "env",
        );
        await rejectsWith(store.putMcpServer(bot.id, "x", { command: "c", args: ["a\0b"] }), "bad_request", "args");
        await rejectsWith(
          store.putMcpServer(bot.id, "x", { command: "c", extra: 1 } as unknown as { command: string }),
          "bad_request",
        );
        assert.deepEqual(await store.listMcpServers(bot.id), []);
      }));
  });
}
