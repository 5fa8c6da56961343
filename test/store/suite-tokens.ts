import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";

import { assertRecentDate, rejectsWith, withStore } from "./harness.js";
import type { StoreTarget } from "./targets.js";

export function tokenTests(target: StoreTarget): void {
  describe("API tokens", () => {
    it("are shown once, stored only as a SHA-256 hash, and verify", () =>
      withStore(target, async (store, database) => {
        const { token, record } = await store.createToken({ name: "ci", scope: "admin" });
        assert.match(token, /^bbx_[A-Za-z0-9_-]{43}$/);
        assert.deepEqual(Object.keys(record).sort(), [
          "botId",
          "createdAt",
          "id",
          "lastUsedAt",
          "name",
          "revokedAt",
          "scope",
        ]);
        assert.equal(record.botId, null);
        assertRecentDate(record.createdAt, "createdAt");
        const [row] = await database.rows("api_tokens");
        assert.equal(row?.hash, createHash("sha256").update(token).digest("hex"));
        assert.ok(!JSON.stringify(row).includes(token.slice(4)), "the plaintext is not stored");
        assert.deepEqual(await store.verifyToken(token), { id: record.id, scope: "admin", botId: null });
      }));

    it("scoped to a bot verify as that bot's", () =>
      withStore(target, async (store) => {
        const bot = await store.createBot({ displayName: "b" });
        const { token, record } = await store.createToken({ name: "b's", scope: "bot", botId: bot.id });
        assert.equal(record.botId, bot.id);
        assert.deepEqual(await store.verifyToken(token), { id: record.id, scope: "bot", botId: bot.id });
      }));

    it("fail to verify when wrong, malformed or altered", () =>
      withStore(target, async (store) => {
        const { token } = await store.createToken({ name: "real", scope: "admin" });
        const altered = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
        for (const wrong of [
          altered,
          `bbx_${"A".repeat(43)}`,
          "",
          "bbx_",
          token.slice(4),
          `${token} `,
          token.toUpperCase(),
        ]) {
          assert.equal(await store.verifyToken(wrong), undefined, JSON.stringify(wrong));
        }
      }));

    it("record their first use", () =>
      withStore(target, async (store) => {
        const { token, record } = await store.createToken({ name: "used", scope: "admin" });
        assert.equal(record.lastUsedAt, null);
        await store.verifyToken(token);
        const [listed] = await store.listTokens();
        assertRecentDate(listed?.lastUsedAt, "lastUsedAt");
      }));

    it("fail to verify once revoked; revoking twice keeps the first time", () =>
      withStore(target, async (store) => {
        const { token, record } = await store.createToken({ name: "leaked", scope: "admin" });
        await store.revokeToken(record.id);
        assert.equal(await store.verifyToken(token), undefined);
        const [revoked] = await store.listTokens();
        assertRecentDate(revoked?.revokedAt, "revokedAt");
        await new Promise((resolve) => setTimeout(resolve, 5));
        await store.revokeToken(record.id);
        const [again] = await store.listTokens();
        assert.deepEqual(again?.revokedAt, revoked?.revokedAt);
        await rejectsWith(store.revokeToken("no-such-token"), "not_found", "no-such-token");
      }));

    it("are listed oldest first, filtered by bot, without secrets", () =>
      withStore(target, async (store) => {
        const a = await store.createBot({ displayName: "a" });
        const b = await store.createBot({ displayName: "b" });
        const created = [
          await store.createToken({ name: "admin", scope: "admin" }),
          await store.createToken({ name: "a", scope: "bot", botId: a.id }),
          await store.createToken({ name: "b", scope: "bot", botId: b.id }),
        ];
        const listed = await store.listTokens();
        assert.deepEqual(
          listed.map((token) => token.name),
          ["admin", "a", "b"],
        );
        const text = JSON.stringify(listed);
        for (const { token } of created) {
          assert.ok(!text.includes(token), "no plaintext");
          assert.ok(!text.includes(createHash("sha256").update(token).digest("hex")), "no hash");
        }
        assert.deepEqual(
          (await store.listTokens({ botId: a.id })).map((token) => token.name),
          ["a"],
        );
      }));

    it("reject bad input with an error naming the field", () =>
      withStore(target, async (store) => {
        const bot = await store.createBot({ displayName: "b" });
        await rejectsWith(store.createToken({ name: "x", scope: "bot" }), "bad_request", "botId");
        await rejectsWith(store.createToken({ name: "x", scope: "admin", botId: bot.id }), "bad_request", "botId");
        await rejectsWith(store.createToken({ name: "x", scope: "root" as never }), "bad_request", "scope");
        await rejectsWith(store.createToken({ name: "", scope: "admin" }), "bad_request", "name");
        await rejectsWith(store.createToken({ name: "x", scope: "bot", botId: "ghost" }), "not_found", "ghost");
        await rejectsWith(store.revokeToken(""), "bad_request", "id");
        await rejectsWith(store.listTokens({ botId: "a b" }), "bad_request", "botId");
        assert.deepEqual(await store.listTokens(), []);
      }));
  });
}
