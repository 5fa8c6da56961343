import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { assertRecentDate, rejectsWith, tick, withStore } from "./harness.js";
import type { StoreTarget } from "./targets.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function botTests(target: StoreTarget): void {
  describe("bots", () => {
    it("are created with a UUID, default config and Date timestamps", () =>
      withStore(target, async (store) => {
        const bot = await store.createBot({ displayName: "Helper" });
        assert.match(bot.id, UUID);
        assert.equal(bot.displayName, "Helper");
        assert.deepEqual(bot.config, { limits: {}, autoStart: true }, "no network: the server's default");
        assertRecentDate(bot.createdAt, "createdAt");
        assert.equal(bot.updatedAt.getTime(), bot.createdAt.getTime());
        assert.deepEqual(await store.getBot(bot.id), bot);
      }));

    it("keep a caller's id and config through a round trip", () =>
      withStore(target, async (store) => {
        const config = {
          network: "none",
          limits: { memoryBytes: 512 * 2 ** 20, pids: 256, cpus: 0.5 },
          autoStart: false,
        } as const;
        const bot = await store.createBot({ id: "bot_42-a", displayName: "  Trimmed  ", config });
        assert.equal(bot.displayName, "Trimmed");
        assert.deepEqual(await store.getBot("bot_42-a"), { ...bot, config });
      }));

    it("keep a bot's own image and an E2B sandbox's create options (docs/e2b.md)", () =>
      withStore(target, async (store) => {
        const e2b = { template: "python", metadata: { team: "infra" }, envs: { GREETING: "hi" } };
        const config = { image: "docker.io/library/python:3.12", e2b };
        const bot = await store.createBot({ id: "e2b-0123456789abcdef", displayName: "sandbox", config });
        assert.deepEqual((await store.getBot(bot.id))?.config, { limits: {}, autoStart: true, ...config });
        await rejectsWith(
          store.createBot({ displayName: "x", config: { e2b: { ...e2b, envs: { N: 1 as never } } } }),
          "bad_request",
          "config.e2b.envs",
        );
      }));

    it("refuse a second bot with the same id as a conflict", () =>
      withStore(target, async (store) => {
        await store.createBot({ id: "twin", displayName: "one" });
        await rejectsWith(store.createBot({ id: "twin", displayName: "two" }), "conflict", "twin");
        assert.equal((await store.getBot("twin"))?.displayName, "one");
      }));

    it("are listed oldest first", () =>
      withStore(target, async (store) => {
        const ids: string[] = [];
        for (const name of ["a", "b", "c"]) {
          ids.push((await store.createBot({ displayName: name })).id);
          await tick();
        }
        assert.deepEqual(
          (await store.listBots()).map((bot) => bot.id),
          ids,
        );
      }));

    it("are updated by merging config keys and moving updatedAt", () =>
      withStore(target, async (store) => {
        const bot = await store.createBot({ displayName: "old", config: { limits: { pids: 10 } } });
        await tick();
        const updated = await store.updateBot(bot.id, { displayName: "new", config: { network: "none" } });
        assert.equal(updated.displayName, "new");
        assert.deepEqual(updated.config, { network: "none", limits: { pids: 10 }, autoStart: true });
        assert.ok(updated.updatedAt > bot.updatedAt);
        assert.equal(updated.createdAt.getTime(), bot.createdAt.getTime());
        assert.deepEqual(await store.getBot(bot.id), updated);
        await rejectsWith(store.updateBot("missing", { displayName: "x" }), "not_found", "missing");
      }));

    it("are deleted once: true, then false, then gone", () =>
      withStore(target, async (store) => {
        const bot = await store.createBot({ displayName: "short-lived" });
        assert.equal(await store.deleteBot(bot.id), true);
        assert.equal(await store.deleteBot(bot.id), false);
        assert.equal(await store.getBot(bot.id), undefined);
      }));

    it("reject bad input with an error naming the field", () =>
      withStore(target, async (store) => {
        await rejectsWith(store.createBot({ displayName: "   " }), "bad_request", "displayName");
        await rejectsWith(store.createBot({ id: "no spaces", displayName: "x" }), "bad_request", "id:");
        await rejectsWith(store.createBot({ id: "x".repeat(65), displayName: "x" }), "bad_request", "id:");
        await rejectsWith(
          store.createBot({ displayName: "x", config: { network: "bridge" as never } }),
          "bad_request",
          "config.network",
        );
        await rejectsWith(
          store.createBot({ displayName: "x", config: { limits: { pids: -1 } } }),
          "bad_request",
          "config.limits.pids",
        );
        await rejectsWith(store.createBot({ displayName: "x", colour: "red" } as never), "bad_request", "colour");
        await rejectsWith(store.getBot("../etc"), "bad_request", "botId");
        await rejectsWith(store.deleteBot(""), "bad_request", "botId");
        assert.deepEqual(await store.listBots(), []);
      }));
  });
}
