import assert from "node:assert/strict";
import { describe, it } from "node:test";

import type { Store } from "../../packages/server/src/store/index.js";
import { botWithContainer, withStore } from "./harness.js";
import type { FreshDatabase, StoreTarget } from "./targets.js";

/** A bot with everything that hangs off it: a container, two versioned snapshots, events, a token, an MCP server. */
async function populatedBot(store: Store, name: string) {
  const { bot, containerId } = await botWithContainer(store, name);
  await store.recordSnapshotVersion({ containerId, runtimeSnapshotName: `${name}-1`, snapshotter: "overlayfs" });
  await store.recordSnapshotVersion({ containerId, runtimeSnapshotName: `${name}-2`, snapshotter: "overlayfs" });
  await store.recordEvent({ containerId, eventType: "snapshot_create" });
  const { token } = await store.createToken({ name, scope: "bot", botId: bot.id });
  await store.putMcpServer(bot.id, "tools", { command: "node", args: ["server.js"] });
  return { bot, containerId, token };
}

async function rowCounts(database: FreshDatabase): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of await database.tables()) counts[table] = (await database.rows(table)).length;
  return counts;
}

export function cascadeTests(target: StoreTarget): void {
  describe("foreign keys", () => {
    it("deleting a bot takes its containers, snapshots, versions, events, tokens and MCP servers, and nothing else", () =>
      withStore(target, async (store, database) => {
        const doomed = await populatedBot(store, "doomed");
        const kept = await populatedBot(store, "kept");
        const admin = await store.createToken({ name: "admin", scope: "admin" });

        assert.equal(await store.deleteBot(doomed.bot.id), true);

        assert.equal(await store.getContainerByBotId(doomed.bot.id), undefined);
        assert.deepEqual(await store.listSnapshots(doomed.containerId), []);
        assert.deepEqual(await store.listVersions(doomed.containerId), []);
        assert.deepEqual(await store.listEvents(doomed.containerId), []);
        assert.equal(await store.verifyToken(doomed.token), undefined);
        assert.deepEqual(await rowCounts(database), {
          api_tokens: 2,
          bots: 1,
          container_versions: 2,
          containers: 1,
          lifecycle_events: 1,
          mcp_servers: 1,
          snapshots: 2,
        });
        assert.equal((await store.verifyToken(kept.token))?.botId, kept.bot.id);
        assert.equal((await store.verifyToken(admin.token))?.scope, "admin");
        assert.equal((await store.listVersions(kept.containerId)).length, 2);
      }));

    it("deleting a bot's container takes its snapshots, versions and events but keeps the bot, its tokens and MCP servers", () =>
      withStore(target, async (store, database) => {
        const { bot, containerId, token } = await populatedBot(store, "b");
        assert.equal(await store.deleteContainerByBotId(bot.id), true);
        assert.deepEqual(await store.listVersions(containerId), []);
        assert.deepEqual(await rowCounts(database), {
          api_tokens: 1,
          bots: 1,
          container_versions: 0,
          containers: 0,
          lifecycle_events: 0,
          mcp_servers: 1,
          snapshots: 0,
        });
        assert.equal((await store.verifyToken(token))?.botId, bot.id);
      }));
  });
}
