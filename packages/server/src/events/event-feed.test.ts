import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { EventFeed, type LiveEvent } from "./event-feed.js";

const event = (botId: string, n: number): LiveEvent => ({
  id: `0190000${n}-0000-7000-8000-000000000000`,
  botId,
  containerId: `mcp-${botId}`,
  eventType: "container_start",
  payload: { n },
  createdAt: new Date(),
});

describe("the live event feed", () => {
  it("hands a subscriber its bot's events in order, and every bot's to one without a filter", async () => {
    const feed = new EventFeed();
    const mine = feed.subscribe({ botId: "a", maxQueued: 10, onOverflow: () => assert.fail("no overflow") });
    const all = feed.subscribe({ maxQueued: 10, onOverflow: () => assert.fail("no overflow") });
    feed.publish(event("b", 1));
    feed.publish(event("a", 2));
    feed.publish(event("a", 3));
    assert.deepEqual([(await mine.next())?.payload.n, (await mine.next())?.payload.n], [2, 3]);
    assert.deepEqual([(await all.next())?.payload.n, (await all.next())?.payload.n], [1, 2]);
    // Waits for the next one, and stops waiting when told.
    const waiting = mine.next();
    feed.publish(event("a", 4));
    assert.equal((await waiting)?.payload.n, 4);
    assert.equal(await mine.next(20), undefined);
  });

  it("ends a subscription whose queue is full and says so, and forgets it", async () => {
    const feed = new EventFeed();
    let overflowed = 0;
    const slow = feed.subscribe({ maxQueued: 3, onOverflow: () => overflowed++ });
    for (let n = 0; n < 3; n++) feed.publish(event("a", n));
    assert.equal(overflowed, 0);
    assert.equal(feed.subscriberCount, 1);
    feed.publish(event("a", 3));
    assert.equal(overflowed, 1);
    assert.equal(feed.subscriberCount, 0);
    assert.ok(slow.closed);
    assert.equal(await slow.next(), undefined, "what was queued is dropped with it");
  });
});
