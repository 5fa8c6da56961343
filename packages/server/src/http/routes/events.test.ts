import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import Fastify, { type FastifyInstance } from "fastify";

import { EventFeed, publishRecordedEvents } from "../../events/index.js";
import { openStore, type Store } from "../../store/index.js";
import type { AnyRoute } from "../route.js";
import { eventRoutes } from "./events.js";

// The stream's own mechanics on a real socket and a real SQLite store:
// keep-alive comments on a quiet stream, and a client that stops reading
// dropped once its queue is full rather than buffered without end.

describe("GET /events on a socket", () => {
  let home: string;
  let store: Store;
  let app: FastifyInstance;
  let url: string;
  const feed = new EventFeed();

  before(async () => {
    home = await mkdtemp(path.join(tmpdir(), "events-route-"));
    store = await openStore({ sqlitePath: path.join(home, "botbox.db") });
    publishRecordedEvents(store, feed);
    await store.createBot({ id: "quiet", displayName: "quiet" });
    await store.upsertContainer({ containerId: "mcp-quiet", botId: "quiet", image: "i", status: "created" });
    app = Fastify();
    const routes: AnyRoute[] = [];
    eventRoutes(app, routes, { feed, history: store, keepAliveMs: 100, maxQueued: 8 });
    await app.listen({ host: "127.0.0.1", port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await app.close();
    await store.close();
    await rm(home, { recursive: true, force: true });
  });

  it("writes a keep-alive comment on a quiet stream, and events between them", async () => {
    const abort = new AbortController();
    const response = await fetch(`${url}/events`, { signal: abort.signal });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const readUntil = async (pattern: RegExp) => {
      const deadline = Date.now() + 5000;
      while (!pattern.test(text)) {
        assert.ok(Date.now() < deadline, `no ${pattern} in ${JSON.stringify(text)}`);
        const { value } = await reader.read();
        text += decoder.decode(value, { stream: true });
      }
    };
    await readUntil(/^: keep-alive\n\n/m);
    const recorded = await store.recordEvent({ containerId: "mcp-quiet", eventType: "container_start" });
    await readUntil(/event: lifecycle\ndata: .*container_start/);
    assert.match(text, new RegExp(`id: ${recorded.id}\n`));
    abort.abort();
  });

  it("drops a client that stops reading once more than maxQueued events wait, and keeps one that reads", async () => {
    const deadline = Date.now() + 10_000;
    // The last test's stream is gone first, so the count below is this test's clients only.
    while (feed.subscriberCount > 0) {
      assert.ok(Date.now() < deadline, "the last test's stream was never closed");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // A reader that never reads: its socket's buffers fill, then its queue, and it is cut off.
    const stalled = httpRequest(`${url}/events`);
    stalled.on("error", () => undefined); // The server cutting it off is the point.
    stalled.on("response", (response) => response.pause());
    stalled.end();
    while (feed.subscriberCount < 1) {
      assert.ok(Date.now() < deadline, "the stalled client never subscribed");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Large events fill the socket's buffers quickly; each is what the store would hold at most.
    const big = { blob: "x".repeat(60 * 1024) };
    for (let i = 0; i < 1000 && feed.subscriberCount > 0; i++) {
      feed.publish({
        id: `0190${String(i).padStart(4, "0")}-0000-7000-8000-000000000000`,
        botId: "quiet",
        containerId: "mcp-quiet",
        eventType: "filler",
        payload: big,
        createdAt: new Date(),
      });
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(feed.subscriberCount, 0, "the stalled client was dropped");
    stalled.destroy();

    // A client that reads gets every one of as many events.
    const abort = new AbortController();
    const response = await fetch(`${url}/events`, { signal: abort.signal });
    const reader = response.body!.getReader();
    while (feed.subscriberCount < 1) await new Promise((resolve) => setTimeout(resolve, 20));
    const decoder = new TextDecoder();
    let text = "";
    const received = () => text.split("event: lifecycle\n").length - 1;
    // Bursts smaller than the queue, each read before the next: a reader that keeps up is never dropped.
    for (let burst = 0; burst < 10; burst++) {
      for (let i = 0; i < 5; i++) {
        feed.publish({
          id: `0191${String(burst * 5 + i).padStart(4, "0")}-0000-7000-8000-000000000000`,
          botId: "quiet",
          containerId: "mcp-quiet",
          eventType: "filler",
          payload: big,
          createdAt: new Date(),
        });
      }
      while (received() < (burst + 1) * 5) {
        const { value, done } = await reader.read();
        assert.ok(!done, "the reading client's stream ended");
        text += decoder.decode(value, { stream: true });
      }
    }
    assert.equal(received(), 50);
    assert.equal(feed.subscriberCount, 1);
    abort.abort();
  });
});
