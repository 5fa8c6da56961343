import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { assertRecentDate, botWithContainer, rejectsWith, tick, withStore } from "./harness.js";
import type { StoreTarget } from "./targets.js";

export function containerTests(target: StoreTarget): void {
  describe("containers", () => {
    it("are inserted with the original's defaults", () =>
      withStore(target, async (store) => {
        const bot = await store.createBot({ displayName: "b" });
        const container = await store.upsertContainer({
          botId: bot.id,
          containerId: `mcp-${bot.id}`,
          image: "debian:12",
        });
        assert.deepEqual(
          { ...container, id: undefined, createdAt: undefined, updatedAt: undefined },
          {
            id: undefined,
            botId: bot.id,
            containerId: `mcp-${bot.id}`,
            containerName: `mcp-${bot.id}`,
            image: "debian:12",
            status: "created",
            namespace: "default",
            autoStart: true,
            containerPath: "/data",
            runtime: null,
            createdAt: undefined,
            updatedAt: undefined,
            lastStartedAt: null,
            lastStoppedAt: null,
          },
        );
        assertRecentDate(container.createdAt, "createdAt");
        assertRecentDate(container.updatedAt, "updatedAt");
        assert.deepEqual(await store.getContainerByBotId(bot.id), container);
        assert.deepEqual(await store.getContainer(container.containerId), container);
      }));

    it("keep their status and start time when upserted again (the original reset them)", () =>
      withStore(target, async (store) => {
        const { bot, containerId } = await botWithContainer(store);
        const started = await store.markContainerStarted(containerId);
        await tick();
        const again = await store.upsertContainer({
          botId: bot.id,
          containerId,
          image: "debian:13",
          runtime: "sandbox",
        });
        assert.equal(again.status, "running");
        assert.equal(again.image, "debian:13");
        assert.equal(again.runtime, "sandbox");
        assert.equal(again.containerPath, "/data");
        assert.equal(again.id, started.id);
        assert.deepEqual(again.lastStartedAt, started.lastStartedAt);
        assert.deepEqual(again.createdAt, started.createdAt);
        assert.ok(again.updatedAt > started.updatedAt);
      }));

    it("change exactly what an upsert names; null clears a timestamp", () =>
      withStore(target, async (store) => {
        const { bot, containerId } = await botWithContainer(store);
        await store.markContainerStarted(containerId);
        const at = new Date("2030-01-02T03:04:05.678Z");
        const changed = await store.upsertContainer({
          botId: bot.id,
          containerId,
          image: "debian:12",
          status: "error",
          namespace: "botbox",
          autoStart: false,
          containerPath: "/srv/data",
          lastStartedAt: null,
          lastStoppedAt: at,
        });
        assert.equal(changed.status, "error");
        assert.equal(changed.namespace, "botbox");
        assert.equal(changed.autoStart, false);
        assert.equal(changed.containerPath, "/srv/data");
        assert.equal(changed.lastStartedAt, null);
        assert.ok(changed.lastStoppedAt instanceof Date);
        assert.equal(changed.lastStoppedAt.toISOString(), at.toISOString());
      }));

    it("refuse a container for a missing bot, another bot's container id, or a taken name", () =>
      withStore(target, async (store) => {
        await rejectsWith(
          store.upsertContainer({ botId: "nobody", containerId: "mcp-nobody", image: "i" }),
          "not_found",
          "nobody",
        );
        const a = await botWithContainer(store, "a");
        const b = await store.createBot({ displayName: "b" });
        await rejectsWith(
          store.upsertContainer({ botId: b.id, containerId: a.containerId, image: "i" }),
          "conflict",
          a.containerId,
        );
        await rejectsWith(
          store.upsertContainer({ botId: b.id, containerId: `mcp-${b.id}`, containerName: a.containerId, image: "i" }),
          "conflict",
          a.containerId,
        );
        assert.deepEqual(await store.getContainer(a.containerId), a.container);
        assert.equal(await store.getContainerByBotId(b.id), undefined);
      }));

    it("by bot id gives the most recently updated one", () =>
      withStore(target, async (store) => {
        const { bot, containerId } = await botWithContainer(store);
        await tick();
        await store.upsertContainer({ botId: bot.id, containerId: "second", image: "i" });
        assert.equal((await store.getContainerByBotId(bot.id))?.containerId, "second");
        await tick();
        await store.updateContainerStatus(containerId, "stopped");
        assert.equal((await store.getContainerByBotId(bot.id))?.containerId, containerId);
      }));

    it("record starts and stops with their times", () =>
      withStore(target, async (store) => {
        const { containerId } = await botWithContainer(store);
        const started = await store.markContainerStarted(containerId);
        assert.equal(started.status, "running");
        assertRecentDate(started.lastStartedAt, "lastStartedAt");
        assert.equal(started.lastStoppedAt, null);
        await tick();
        const stopped = await store.markContainerStopped(containerId);
        assert.equal(stopped.status, "stopped");
        assertRecentDate(stopped.lastStoppedAt, "lastStoppedAt");
        assert.deepEqual(stopped.lastStartedAt, started.lastStartedAt);
        assert.ok(stopped.updatedAt > started.updatedAt);
        const failed = await store.updateContainerStatus(containerId, "error");
        assert.equal(failed.status, "error");
        assert.deepEqual(failed.lastStoppedAt, stopped.lastStoppedAt);
      }));

    it("refuse status changes for a missing container or to an unknown status", () =>
      withStore(target, async (store) => {
        const { containerId } = await botWithContainer(store);
        await rejectsWith(store.markContainerStarted("mcp-missing"), "not_found", "mcp-missing");
        await rejectsWith(store.markContainerStopped("mcp-missing"), "not_found", "mcp-missing");
        await rejectsWith(store.updateContainerStatus("mcp-missing", "running"), "not_found", "mcp-missing");
        await rejectsWith(store.updateContainerStatus(containerId, "paused" as never), "bad_request", "status");
        assert.equal((await store.getContainer(containerId))?.status, "created");
      }));

    it("to auto-start are listed most recently updated first", () =>
      withStore(target, async (store) => {
        const a = await botWithContainer(store, "a");
        await tick();
        const b = await botWithContainer(store, "b");
        await tick();
        const off = await botWithContainer(store, "off");
        await store.upsertContainer({ botId: off.bot.id, containerId: off.containerId, image: "i", autoStart: false });
        await tick();
        await store.markContainerStarted(a.containerId);
        assert.deepEqual(
          (await store.listAutoStartContainers()).map((container) => container.containerId),
          [a.containerId, b.containerId],
        );
      }));

    it("are deleted by bot id: true, then false", () =>
      withStore(target, async (store) => {
        const { bot } = await botWithContainer(store);
        assert.equal(await store.deleteContainerByBotId(bot.id), true);
        assert.equal(await store.deleteContainerByBotId(bot.id), false);
        assert.equal(await store.getContainerByBotId(bot.id), undefined);
        assert.ok(await store.getBot(bot.id), "the bot stays");
      }));

    it("reject bad input with an error naming the field", () =>
      withStore(target, async (store) => {
        const bot = await store.createBot({ displayName: "b" });
        const base = { botId: bot.id, containerId: `mcp-${bot.id}`, image: "debian:12" };
        await rejectsWith(store.upsertContainer({ ...base, containerPath: "data" }), "bad_request", "containerPath");
        await rejectsWith(store.upsertContainer({ ...base, containerPath: "" }), "bad_request", "containerPath");
        await rejectsWith(store.upsertContainer({ ...base, image: "" }), "bad_request", "image");
        await rejectsWith(store.upsertContainer({ ...base, containerId: " padded" }), "bad_request", "containerId");
        await rejectsWith(store.upsertContainer({ ...base, status: "paused" as never }), "bad_request", "status");
        await rejectsWith(
          store.upsertContainer({ ...base, lastStartedAt: "yesterday" as never }),
          "bad_request",
          "lastStartedAt",
        );
        await rejectsWith(store.getContainerByBotId("bad id"), "bad_request", "botId");
        assert.equal(await store.getContainerByBotId(bot.id), undefined);
      }));
  });
}
