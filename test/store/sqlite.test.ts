import assert from "node:assert/strict";
import { describe, it } from "node:test";

import Sqlite from "better-sqlite3";

import { openStore } from "../../packages/server/src/store/index.js";
import { rejectsWith } from "./harness.js";
import { runStoreSuite } from "./store-suite.js";
import { sqliteTarget } from "./targets.js";

runStoreSuite("sqlite", sqliteTarget);

describe("store on sqlite: embedded specifics", () => {
  it("puts the database file in WAL mode", async () => {
    const database = await sqliteTarget().fresh();
    const store = await openStore(database.options);
    await store.close();
    const file = new Sqlite((database.options as { sqlitePath: string }).sqlitePath, { readonly: true });
    assert.equal(file.pragma("journal_mode", { simple: true }), "wal");
    file.close();
    await database.cleanup();
  });

  it("works in memory", async () => {
    const store = await openStore({ sqlitePath: ":memory:" });
    const bot = await store.createBot({ displayName: "ephemeral" });
    assert.equal((await store.getBot(bot.id))?.displayName, "ephemeral");
    await store.close();
  });

  it("rejects options that name no database, or a URL that is not PostgreSQL's", async () => {
    await rejectsWith(openStore({ databaseUrl: "mysql://x" }), "bad_request", "databaseUrl");
    await rejectsWith(openStore({ sqlitePath: "" }), "bad_request", "sqlitePath");
    await rejectsWith(openStore({} as never), "bad_request");
  });
});
