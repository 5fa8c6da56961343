import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { MAX_MCP_SERVER_CONFIG_BYTES, MAX_MCP_SERVERS_PER_BOT } from "../../packages/server/src/store/index.js";
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

    it(`hold at most ${MAX_MCP_SERVER_CONFIG_BYTES} bytes of command, args, env and cwd each, and ${MAX_MCP_SERVERS_PER_BOT} a bot`, () =>
      withStore(target, async (store) => {
        const bot = await store.createBot({ displayName: "b" });
        const other = await store.createBot({ displayName: "other" });
        const half = "a".repeat(MAX_MCP_SERVER_CONFIG_BYTES / 2);
        await rejectsWith(
          store.putMcpServer(bot.id, "big", { command: "c", args: [half], env: { BIG: half } }),
          "bad_request",
          `at most ${MAX_MCP_SERVER_CONFIG_BYTES} bytes`,
        );
        const fits = "a".repeat(MAX_MCP_SERVER_CONFIG_BYTES - "c".length - "BIG".length);
        await store.putMcpServer(bot.id, "big", { command: "c", env: { BIG: fits } });
        for (let index = 1; index < MAX_MCP_SERVERS_PER_BOT; index++) {
          await store.putMcpServer(bot.id, `s${index}`, { command: "c" });
        }
        await rejectsWith(
          store.putMcpServer(bot.id, "one-more", { command: "c" }),
          "conflict",
          `${MAX_MCP_SERVERS_PER_BOT} MCP servers`,
        );
        // Replacing one at the limit is fine, and the limit is per bot.
        await store.putMcpServer(bot.id, "s1", { command: "replaced" });
        await store.putMcpServer(other.id, "one-more", { command: "c" });
        assert.equal((await store.listMcpServers(bot.id)).length, MAX_MCP_SERVERS_PER_BOT);
        assert.equal(await store.getMcpServer(bot.id, "one-more"), undefined);
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
