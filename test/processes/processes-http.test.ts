// The process routes against a real `botbox serve` and a real bot
// (docs/processes.md, "HTTP"): start, list, get, output from an offset and
// followed, signals to the group, stdin, bounded waits and bad input.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { addBots, botToken, removeServer } from "../support/bots.js";
import { numberedLines, outputBytes, outputEvents, processesRoute, startProcess } from "./support.js";

const BOT = "proc-http";
const OTHER = "proc-http-other";

describe("processes over HTTP", { timeout: 180_000 }, () => {
  let server: BotboxServer;
  const route = (rest = "") => processesRoute(BOT, rest);

  before(async () => {
    server = await startBotboxServer();
    await addBots(server, [BOT]);
  });
  after(() => removeServer(server, [BOT, OTHER]));

  it("starts, lists, gets by id and tag, and replays output from an offset", async () => {
    const started = await startProcess(server, BOT, {
      command: ["sh", "-c", "for i in $(seq 1 200); do echo line $i; done"],
      tag: "count-200",
    });
    assert.match(started.id, /^[0-9a-f]{12}$/);
    assert.equal(started.tag, "count-200");
    const waited = await server.api("POST", route(`/${started.id}/wait?timeout=20`));
    assert.equal(waited.status, 200);
    assert.equal(waited.body.status, "exited");
    assert.equal(waited.body.exit_code, 0);
    assert.equal(waited.body.timed_out, false);
    const expected = numberedLines(200);
    assert.equal(waited.body.output_bytes, expected.length);

    const listed = await server.api("GET", route());
    assert.ok(listed.body.processes.some((p: { id: string }) => p.id === started.id));
    const byTag = await server.api("GET", route("/count-200"));
    assert.equal(byTag.body.id, started.id);
    assert.ok(byTag.body.ended_at);

    const all = await outputEvents(server, BOT, started.id, "since=0");
    assert.equal(outputBytes(all).toString(), expected);
    const from = expected.indexOf("line 101\n");
    const rest = await outputEvents(server, BOT, "count-200", `since=${from}`);
    assert.equal(rest.find((e) => e.type === "output")?.offset, from);
    assert.equal(outputBytes(rest).toString(), expected.slice(from));
  });

  it("follows live output to the exit, as NDJSON and as SSE with resumable ids", async () => {
    const command = "for i in $(seq 1 40); do echo line $i; sleep 0.02; done; exit 3";
    const ndjson = await startProcess(server, BOT, { command });
    const events = await outputEvents(server, BOT, ndjson.id, "follow=true");
    assert.equal(outputBytes(events).toString().split("\n").filter(Boolean).length, 40);
    const exit = events.at(-1)!;
    assert.equal(exit.type, "exit");
    assert.equal(exit.process.exit_code, 3);

    const sse = await startProcess(server, BOT, { command });
    const sseEvents = await outputEvents(server, BOT, sse.id, "follow=true", { sse: true });
    assert.equal(outputBytes(sseEvents).toString(), numberedLines(40));
    for (const event of sseEvents.filter((e) => e.type === "output"))
      assert.equal(Number(event.sse.id), event.offset + event.size, "an output event's id is the offset after it");
    assert.equal(sseEvents.at(-1)!.sse.event, "exit");
  });

  it("signals the whole process group: a child of the process dies too", async () => {
    const parent = await startProcess(server, BOT, { command: "sleep 300 & echo $!; wait" });
    let childPid = "";
    for (let i = 0; i < 50 && !childPid; i++) {
      childPid = outputBytes(await outputEvents(server, BOT, parent.id, "since=0"))
        .toString()
        .trim();
      if (!childPid) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.match(childPid, /^\d+$/);
    const alive = async () => {
      const probe = await startProcess(server, BOT, { command: ["kill", "-0", childPid] });
      return (await server.api("POST", route(`/${probe.id}/wait?timeout=10`))).body.exit_code === 0;
    };
    assert.equal(await alive(), true, "the child runs before the signal");
    const signalled = await server.api("POST", route(`/${parent.id}/signal`), { signal: "TERM" });
    assert.equal(signalled.status, 200, JSON.stringify(signalled.body));
    const waited = await server.api("POST", route(`/${parent.id}/wait?timeout=10`));
    assert.equal(waited.body.status, "exited");
    assert.equal(waited.body.signal, "SIGTERM");
    assert.equal(await alive(), false, "the child died with its group");
  });

  it("feeds stdin in a request, in parts past 1 MiB, and closes it", async () => {
    const cat = await startProcess(server, BOT, { command: ["cat"] });
    const typed = await fetch(`${server.url}${route(`/${cat.id}/stdin`)}`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.adminToken}` },
      body: "hello\n",
    });
    assert.equal(typed.status, 200, await typed.clone().text());
    assert.deepEqual(await typed.json(), { bytes: 6, closed: false });
    assert.equal((await server.api("POST", route(`/${cat.id}/stdin/close`))).status, 200);
    await server.api("POST", route(`/${cat.id}/wait?timeout=10`));
    assert.equal(outputBytes(await outputEvents(server, BOT, cat.id, "since=0")).toString(), "hello\n");

    const counter = await startProcess(server, BOT, { command: "wc -c" });
    const big = await fetch(`${server.url}${route(`/${counter.id}/stdin?close=true`)}`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/octet-stream" },
      body: Buffer.alloc(3 * 2 ** 20, 0x61),
    });
    assert.equal(big.status, 200, await big.clone().text());
    assert.deepEqual(await big.json(), { bytes: 3 * 2 ** 20, closed: true });
    const done = await server.api("POST", route(`/${counter.id}/wait?timeout=10`));
    assert.equal(done.body.status, "exited");
    assert.equal(
      outputBytes(await outputEvents(server, BOT, counter.id, "since=0"))
        .toString()
        .trim(),
      "3145728",
    );
  });

  it("bounds a wait by its timeout, then answers at the exit", async () => {
    const sleeper = await startProcess(server, BOT, { command: ["sleep", "300"], tag: "sleeper" });
    const started = Date.now();
    const waited = await server.api("POST", route("/sleeper/wait?timeout=0.5"));
    const elapsed = Date.now() - started;
    assert.equal(waited.body.timed_out, true);
    assert.equal(waited.body.status, "running");
    assert.ok(elapsed >= 400 && elapsed < 5000, `waited ${elapsed} ms for a 0.5 s bound`);
    await server.api("POST", route(`/${sleeper.id}/signal`), { signal: "KILL" });
    const ended = await server.api("POST", route(`/${sleeper.id}/wait?timeout=10`));
    assert.equal(ended.body.timed_out, false);
    assert.equal(ended.body.signal, "SIGKILL");
  });

  it("refuses bad input with a status and a message naming what was wrong", async () => {
    const unknown = "0123456789ab";
    for (const [method, path, body] of [
      ["GET", `/${unknown}`, undefined],
      ["GET", "/no-such-tag", undefined],
      ["POST", `/${unknown}/signal`, { signal: "TERM" }],
      ["POST", `/${unknown}/wait?timeout=1`, undefined],
      ["GET", `/${unknown}/output`, undefined],
      ["POST", `/${unknown}/stdin/close`, undefined],
    ] as const) {
      const answer = await server.api(method, route(path), body);
      assert.equal(answer.status, 404, `${method} ${path}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error.code, "not_found");
    }
    const sleeper = await startProcess(server, BOT, { command: ["sleep", "60"] });
    const cases: [string, string, unknown, RegExp][] = [
      ["POST", `/${sleeper.id}/signal`, { signal: "NOPE" }, /NOPE|signal/i],
      ["POST", `/${sleeper.id}/signal`, { signal: "TERM; rm" }, /body\.signal/],
      ["GET", `/${sleeper.id}/output?since=-1`, undefined, /query\.since/],
      ["GET", `/${sleeper.id}/output?since=999999`, undefined, /since 999999 is past/],
      ["POST", `/${sleeper.id}/wait?timeout=601`, undefined, /query\.timeout/],
      ["POST", "", { command: ["sleep", "1"], pty: { cols: -1, rows: 24 } }, /body\.pty\.cols/],
      ["POST", "", { command: [] }, /body\.command/],
      ["POST", "", { command: "true", tag: "abcdef012345" }, /body\.tag: must not be 12 hex digits/],
      ["POST", "", { command: "true", output_limit_bytes: -5 }, /body\.output_limit_bytes/],
      ["POST", "", { command: ["/no/such/program"] }, /no\/such\/program/],
      ["GET", "/bad name!", undefined, /params\.process/],
    ];
    for (const [method, path, body, message] of cases) {
      const answer = await server.api(method, route(path), body);
      assert.equal(answer.status, 400, `${method} ${path}: ${JSON.stringify(answer.body)}`);
      assert.match(answer.body.error.message, message);
    }
    const huge = await fetch(`${server.url}${route(`/${sleeper.id}/stdin`)}`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.adminToken}` },
      body: Buffer.alloc(9 * 2 ** 20),
    });
    assert.equal(huge.status, 413);
    assert.match(((await huge.json()) as { error: { message: string } }).error.message, /at most 8388608 bytes/);
    // Chunked, with no length to refuse up front: counted as it arrives.
    const chunks = Array.from({ length: 9 }, () => new Uint8Array(2 ** 20));
    const chunked = await fetch(`${server.url}${route(`/${sleeper.id}/stdin`)}`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.adminToken}` },
      body: new ReadableStream({
        pull(controller) {
          const next = chunks.shift();
          if (next) controller.enqueue(next);
          else controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    assert.equal(chunked.status, 413);
    await server.api("POST", route(`/${sleeper.id}/signal`), { signal: "KILL" });
  });

  it("answers a bot's own token and refuses another bot's", async () => {
    await addBots(server, [{ id: OTHER, start: false }]);
    const own = await botToken(server, BOT);
    const other = await botToken(server, OTHER);
    assert.equal((await server.api("GET", route(), undefined, own)).status, 200);
    const refused = await server.api("GET", route(), undefined, other);
    // Another bot's token learns nothing, not even that the bot exists.
    assert.equal(refused.status, 404, JSON.stringify(refused.body));
    const start = await server.api("POST", route(), { command: "true" }, other);
    assert.equal(start.status, 404);
    assert.equal((await server.api("POST", route(), { command: "true" }, own)).status, 201);
  });
});
