import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { sseMessages } from "../../packages/server/src/cli/commands/events.js";
import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { botToken, removeServer } from "../support/bots.js";

// GET /events of a real `botbox serve` (docs/metrics.md): lifecycle events
// as they happen, a bot token's stream filtered to its bot, and a reconnect
// with Last-Event-ID that replays what was missed from the store.

const BOTS = ["ev-a", "ev-b"];
const BOTBOX = fileURLToPath(new URL("../../packages/server/dist/botbox.js", import.meta.url));
const run = promisify(execFile);

interface StreamEvent {
  id: string;
  bot_id: string;
  type: string;
  payload: Record<string, unknown>;
  created_at: string;
}

/** An open event stream: its events as they come, read with a deadline. */
interface OpenStream {
  next(timeoutMs?: number): Promise<{ event: string; id?: string; data: StreamEvent }>;
  close(): void;
}

describe("GET /events: lifecycle events as Server-Sent Events from a real server", () => {
  let server: BotboxServer | undefined;

  before(async () => {
    server = await startBotboxServer();
    for (const id of BOTS) assert.equal((await server.api("POST", "/bots", { id, name: id })).status, 201);
  });
  after(() => removeServer(server, BOTS));

  async function open(query = "", options: { token?: string; lastEventId?: string } = {}): Promise<OpenStream> {
    const abort = new AbortController();
    const response = await fetch(`${server!.url}/events${query}`, {
      headers: {
        authorization: `Bearer ${options.token ?? server!.adminToken}`,
        accept: "text/event-stream",
        ...(options.lastEventId ? { "last-event-id": options.lastEventId } : {}),
      },
      signal: abort.signal,
    });
    assert.equal(response.status, 200, await (response.status === 200 ? "" : response.text()));
    assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
    const messages = sseMessages(response.body!);
    return {
      async next(timeoutMs = 30_000) {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms`)), timeoutMs);
        });
        try {
          const { value, done } = await Promise.race([messages.next(), timeout]);
          assert.ok(!done, "the stream ended");
          return { event: value.event, id: value.id, data: JSON.parse(value.data) as StreamEvent };
        } finally {
          clearTimeout(timer);
        }
      },
      close: () => abort.abort(),
    };
  }

  /** The next `count` events of one bot on a stream, skipping other bots'. */
  async function eventsOf(stream: OpenStream, botId: string, count: number): Promise<StreamEvent[]> {
    const events: StreamEvent[] = [];
    while (events.length < count) {
      const { data } = await stream.next();
      if (data.bot_id === botId) events.push(data);
    }
    return events;
  }

  it("streams create, start and stop as they happen, in order, with ids", async () => {
    const stream = await open();
    try {
      assert.equal((await server!.api("POST", "/bots/ev-a/container")).status, 201);
      assert.equal((await server!.api("POST", "/bots/ev-a/container/stop", { timeout: 5 })).status, 200);
      const events = await eventsOf(stream, "ev-a", 3);
      assert.deepEqual(
        events.map((event) => event.type),
        ["container_create", "container_start", "container_stop"],
      );
      assert.ok(events[0]!.id < events[1]!.id && events[1]!.id < events[2]!.id, "ids grow");
      assert.ok(!Number.isNaN(Date.parse(events[0]!.created_at)));
    } finally {
      stream.close();
    }
  });

  it("gives a bot token its own bot's events only, and 404 for another bot's", async () => {
    const token = await botToken(server!, "ev-b");
    const refused = await fetch(`${server!.url}/events?bot_id=ev-a`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(refused.status, 404);
    const own = await open("", { token });
    try {
      // ev-a's events are recorded first: had the filter let them through, they would come first.
      assert.equal((await server!.api("POST", "/bots/ev-a/container/start")).status, 200);
      assert.equal((await server!.api("POST", "/bots/ev-b/container")).status, 201);
      const { data } = await own.next();
      assert.deepEqual([data.bot_id, data.type], ["ev-b", "container_create"]);
      const second = (await own.next()).data;
      assert.deepEqual([second.bot_id, second.type], ["ev-b", "container_start"]);
    } finally {
      own.close();
    }
  });

  it("replays what a client missed when it comes back with Last-Event-ID, then follows, nothing twice", async () => {
    const first = await open("?bot_id=ev-a");
    assert.equal((await server!.api("POST", "/bots/ev-a/container/stop", { timeout: 5 })).status, 200);
    const [seen] = await eventsOf(first, "ev-a", 1);
    assert.equal(seen!.type, "container_stop");
    first.close();
    // While it is away: a start and a stop.
    assert.equal((await server!.api("POST", "/bots/ev-a/container/start")).status, 200);
    assert.equal((await server!.api("POST", "/bots/ev-a/container/stop", { timeout: 5 })).status, 200);
    const back = await open("?bot_id=ev-a", { lastEventId: seen!.id });
    try {
      const missed = [(await back.next()).data, (await back.next()).data];
      assert.deepEqual(
        missed.map((event) => event.type),
        ["container_start", "container_stop"],
      );
      // The store's own record (newest first) has exactly these after the one seen.
      const stored = (await server!.api("GET", "/bots/ev-a/container/events?limit=2")).body.events;
      assert.deepEqual(
        stored.map((event: { type: string }) => event.type).reverse(),
        missed.map((event) => event.type),
      );
      // Then live, once each.
      assert.equal((await server!.api("POST", "/bots/ev-a/container/start")).status, 200);
      const live = await back.next();
      assert.equal(live.data.type, "container_start");
      assert.ok(live.data.id > missed[1]!.id);
    } finally {
      back.close();
    }
  });

  it("prints the latest events one line each with botbox events, and as JSON with --json", async () => {
    const botbox = (...args: string[]) =>
      run(process.execPath, [BOTBOX, "--url", server!.url, "--token", server!.adminToken, "events", ...args], {
        env: { ...process.env, BOTBOX_URL: "", BOTBOX_TOKEN: "" },
      });
    const stored = (await server!.api("GET", "/bots/ev-a/container/events?limit=100")).body.events;
    const lines = (await botbox("--bot", "ev-a")).stdout.trimEnd().split("\n");
    assert.equal(lines.length, stored.length);
    assert.match(lines.at(-1)!, new RegExp(`^\\S+Z  ev-a  ${stored[0].type}`));
    const json = (await botbox("--bot", "ev-b", "--json")).stdout.trimEnd().split("\n");
    assert.deepEqual(
      json.map((line) => (JSON.parse(line) as StreamEvent).bot_id),
      json.map(() => "ev-b"),
    );
    await assert.rejects(botbox("extra"), /usage: botbox events/);
  });

  it("answers the latest events and ends with follow=false; an unknown id is said, not replayed", async () => {
    const response = await fetch(`${server!.url}/events?follow=false&limit=2&bot_id=ev-a`, {
      headers: { authorization: `Bearer ${server!.adminToken}` },
    });
    const events: StreamEvent[] = [];
    for await (const message of sseMessages(response.body!)) events.push(JSON.parse(message.data) as StreamEvent);
    const stored = (await server!.api("GET", "/bots/ev-a/container/events?limit=2")).body.events;
    assert.deepEqual(
      events.map((event) => event.type),
      stored.map((event: { type: string }) => event.type).reverse(),
    );
    const unknown = await open("", { lastEventId: "01900000-0000-7000-8000-000000000000" });
    try {
      const notice = await unknown.next();
      assert.equal(notice.event, "notice");
      assert.match((notice.data as unknown as { message: string }).message, /nothing replayed/);
    } finally {
      unknown.close();
    }
    const bad = await server!.api("GET", "/events?limit=0&follow=false");
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /query\.limit/);
  });
});
