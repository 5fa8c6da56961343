import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { assertRecentDate, botWithContainer, rejectsWith, withStore } from "./harness.js";
import type { StoreTarget } from "./targets.js";

export function eventTests(target: StoreTarget): void {
  describe("lifecycle events", () => {
    it("keep their JSON payload intact", () =>
      withStore(target, async (store) => {
        const { containerId } = await botWithContainer(store);
        const payload = {
          snapshot_name: "s-1",
          version: 3,
          nested: { list: [1, "two", null, true] },
          text: 'é ✓ "quoted"',
        };
        const event = await store.recordEvent({ containerId, eventType: "snapshot_create", payload });
        assert.deepEqual(event.payload, payload);
        assertRecentDate(event.createdAt, "createdAt");
        const [listed] = await store.listEvents(containerId);
        assert.deepEqual(listed, event);
        const bare = await store.recordEvent({ containerId, eventType: "agent_restart" });
        assert.deepEqual(bare.payload, {});
      }));

    it("are listed newest first, per container, up to the limit", () =>
      withStore(target, async (store) => {
        const { containerId } = await botWithContainer(store);
        const other = await botWithContainer(store, "other");
        for (let i = 0; i < 12; i++) await store.recordEvent({ containerId, eventType: "tick", payload: { i } });
        await store.recordEvent({ containerId: other.containerId, eventType: "elsewhere" });
        const all = await store.listEvents(containerId);
        assert.deepEqual(
          all.map((event) => event.payload.i),
          [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
        );
        assert.deepEqual(
          (await store.listEvents(containerId, { limit: 3 })).map((event) => event.payload.i),
          [11, 10, 9],
        );
        assert.deepEqual(
          (await store.listEvents(other.containerId)).map((event) => event.eventType),
          ["elsewhere"],
        );
      }));

    it("are replayed oldest first after an id, for one container or all, and the latest ones without an id", () =>
      withStore(target, async (store) => {
        const { containerId } = await botWithContainer(store);
        const other = await botWithContainer(store, "other");
        const recorded = [];
        for (let i = 0; i < 6; i++)
          recorded.push(
            await store.recordEvent({
              containerId: i % 2 ? other.containerId : containerId,
              eventType: "tick",
              payload: { i },
            }),
          );
        const after = async (options: Parameters<typeof store.listEventsSince>[0]) =>
          (await store.listEventsSince(options)).map((event) => event.payload.i);
        assert.deepEqual(await after({ afterId: recorded[1]!.id }), [2, 3, 4, 5]);
        assert.deepEqual(await after({ afterId: recorded[1]!.id, containerId }), [2, 4]);
        assert.deepEqual(await after({ afterId: recorded[1]!.id, limit: 2 }), [2, 3]);
        assert.deepEqual(await after({ limit: 3 }), [3, 4, 5]);
        assert.deepEqual(await after({ containerId: other.containerId, limit: 2 }), [3, 5]);
        assert.deepEqual(await after({ afterId: recorded[5]!.id }), []);
        assert.equal(await store.hasEvent(recorded[0]!.id), true);
        assert.equal(await store.hasEvent("01900000-0000-7000-8000-000000000000"), false);
        assert.equal(await store.hasEvent("not an id"), false);
        await rejectsWith(store.listEventsSince({ afterId: "' OR 1=1 --" }), "bad_request", "afterId");
        await rejectsWith(store.listEventsSince({ limit: 1001 }), "bad_request", "limit");
      }));

    it("refuse a missing container and bad input with an error naming the field", () =>
      withStore(target, async (store) => {
        const { containerId } = await botWithContainer(store);
        await rejectsWith(
          store.recordEvent({ containerId: "mcp-missing", eventType: "x" }),
          "not_found",
          "mcp-missing",
        );
        await rejectsWith(store.recordEvent({ containerId, eventType: "has space" }), "bad_request", "eventType");
        await rejectsWith(
          store.recordEvent({ containerId, eventType: "x", payload: [1] as never }),
          "bad_request",
          "payload",
        );
        await rejectsWith(
          store.recordEvent({ containerId, eventType: "x", payload: { n: 1n } }),
          "bad_request",
          "payload",
        );
        await rejectsWith(
          store.recordEvent({ containerId, eventType: "x", payload: { big: "x".repeat(70_000) } }),
          "bad_request",
          "payload",
        );
        await rejectsWith(store.listEvents(containerId, { limit: 0 }), "bad_request", "limit");
        await rejectsWith(store.listEvents(containerId, { limit: 1001 }), "bad_request", "limit");
        assert.deepEqual(await store.listEvents(containerId), []);
      }));
  });
}
