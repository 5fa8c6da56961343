import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { openStore, revertStoreMigrations } from "../../packages/server/src/store/index.js";
import { rejectsWith, withFreshDatabase, withStore } from "./harness.js";
import type { StoreTarget } from "./targets.js";

const ALL_TABLES = [
  "api_tokens",
  "bots",
  "container_versions",
  "containers",
  "lifecycle_events",
  "mcp_servers",
  "snapshots",
];
const MIGRATIONS = [
  "0001_bots_and_containers",
  "0002_snapshots_and_versions",
  "0003_lifecycle_events",
  "0004_api_tokens",
  "0005_mcp_servers",
  "0006_network_default",
];

export function migrationTests(target: StoreTarget): void {
  describe("migrations", () => {
    it("create every table on first open", () =>
      withStore(target, async (_store, database) => {
        assert.deepEqual(await database.tables(), ALL_TABLES);
      }));

    it("are a no-op on the second open, which keeps the data", async () => {
      await withFreshDatabase(target, async (database) => {
        const first = await openStore(database.options);
        const bot = await first.createBot({ displayName: "kept" });
        await first.close();
        const second = await openStore(database.options);
        assert.equal((await second.getBot(bot.id))?.displayName, "kept");
        await second.close();
        assert.deepEqual(await database.tables(), ALL_TABLES);
      });
    });

    it("revert one step at a time, latest first", async () => {
      await withFreshDatabase(target, async (database) => {
        await (await openStore(database.options)).close();
        assert.deepEqual(await revertStoreMigrations(database.options, { steps: 3 }), [
          "0006_network_default",
          "0005_mcp_servers",
          "0004_api_tokens",
        ]);
        assert.deepEqual(await database.tables(), [
          "bots",
          "container_versions",
          "containers",
          "lifecycle_events",
          "snapshots",
        ]);
        assert.deepEqual(await revertStoreMigrations(database.options, { steps: 2 }), [
          "0003_lifecycle_events",
          "0002_snapshots_and_versions",
        ]);
        assert.deepEqual(await database.tables(), ["bots", "containers"]);
        // Up again: only the reverted ones run, and the store works end to end.
        const store = await openStore(database.options);
        const bot = await store.createBot({ displayName: "again" });
        await store.createToken({ name: "t", scope: "bot", botId: bot.id });
        await store.close();
        assert.deepEqual(await database.tables(), ALL_TABLES);
      });
    });

    it("revert all the way down and come back up empty", async () => {
      await withFreshDatabase(target, async (database) => {
        const store = await openStore(database.options);
        await store.createBot({ displayName: "gone after down" });
        await store.close();
        assert.deepEqual(await revertStoreMigrations(database.options, { steps: "all" }), [...MIGRATIONS].reverse());
        assert.deepEqual(await database.tables(), []);
        assert.deepEqual(await revertStoreMigrations(database.options, { steps: "all" }), []);
        const reopened = await openStore(database.options);
        assert.deepEqual(await reopened.listBots(), []);
        await reopened.close();
        assert.deepEqual(await database.tables(), ALL_TABLES);
      });
    });

    it("0006 drops the network `host` that older servers wrote into every bot, and keeps any other", async () => {
      await withFreshDatabase(target, async (database) => {
        const first = await openStore(database.options);
        const defaulted = await first.createBot({ displayName: "old default", config: { network: "host" } });
        const offline = await first.createBot({ displayName: "offline", config: { network: "none" } });
        await first.close();
        assert.deepEqual(await revertStoreMigrations(database.options, { steps: 1 }), ["0006_network_default"]);
        const second = await openStore(database.options);
        assert.equal((await second.getBot(defaulted.id))?.config.network, undefined);
        assert.equal((await second.getBot(offline.id))?.config.network, "none");
        await second.close();
      });
    });

    it("reject a bad step count", async () => {
      await withFreshDatabase(target, async (database) => {
        await rejectsWith(revertStoreMigrations(database.options, { steps: 0 }), "bad_request", "steps");
      });
    });

    it(
      "run once when two servers open the same database at the same time",
      { skip: target.name === "sqlite" ? "SQLite serves one botbox process per home" : undefined },
      async () => {
        await withFreshDatabase(target, async (database) => {
          const stores = await Promise.all([openStore(database.options), openStore(database.options)]);
          const bot = await stores[0].createBot({ displayName: "shared" });
          assert.equal((await stores[1].getBot(bot.id))?.id, bot.id);
          await Promise.all(stores.map((store) => store.close()));
        });
      },
    );
  });
}
