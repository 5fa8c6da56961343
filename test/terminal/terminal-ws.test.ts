// The terminal WebSocket (docs/processes.md, "Terminals") against a real
// `botbox serve` and a real bot on the backend BOTBOX_TEST_RUNTIME names:
// PTY size and resize as `stty size` sees them, echo, a dropped connection
// re-attached with the earlier output, the exit message, tickets, bad input.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";

import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { addBots, botToken, removeServer } from "../support/bots.js";
import { openTerminal, processIds, refusedTerminal, terminalUrl } from "./support.js";

const BOT = "term-ws";
const OTHER = "term-ws-other";
/** How much a never-read terminal writes in the back-pressure test (the agent keeps only its ring of it). */
const FLOOD_BYTES = 160 * 2 ** 20;

describe("terminal over WebSocket", { timeout: 180_000 }, () => {
  let server: BotboxServer;

  before(async () => {
    server = await startBotboxServer();
    await addBots(server, [BOT, OTHER]);
  });
  after(() => removeServer(server, [BOT, OTHER]));

  it("gives the PTY the requested size, follows a resize and echoes input", async () => {
    const terminal = await openTerminal(server, BOT, { cols: "91", rows: "27", command: "sh" });
    const session = await terminal.session;
    assert.match(session.id, /^[0-9a-f]{12}$/);
    assert.deepEqual([session.cols, session.rows], [91, 27]);
    terminal.type("stty size\r");
    await terminal.waitForOutput(/(^|\$ |# )27 91\r?$/m);
    terminal.resize(132, 43);
    const mark = terminal.output().length;
    terminal.type("stty size\r");
    await terminal.waitForOutput(/(^|\$ |# )43 132\r?$/m, 15_000, mark);
    // The PTY echoes what was typed; the shell's answer is only in what ran.
    const typed = terminal.output().length;
    terminal.type("printf 'x%sy\\n' echoed\r");
    const seen = await terminal.waitForOutput(/(^|\$ |# )xechoedy\r?$/m, 15_000, typed);
    assert.ok(seen.includes("printf 'x%sy\\n' echoed"), `the input is echoed: ${JSON.stringify(seen)}`);
    terminal.type("exit 0\r");
    assert.equal((await terminal.closed).code, 1000);
  });

  it("keeps the process when the WebSocket drops; ?session= replays its output and follows", async () => {
    const first = await openTerminal(server, BOT, { command: "sh" });
    const { id } = await first.session;
    first.type("echo before-drop-$((6*7))\r");
    await first.waitForOutput(/before-drop-42/);
    first.socket.terminate(); // no close handshake: as a laptop's lid closing
    await first.closed;

    const view = await server.api("GET", `/bots/${BOT}/processes/${id}`);
    assert.equal(view.body.status, "running", "the shell outlives its connection");
    assert.deepEqual(view.body.pty, { cols: 80, rows: 24 });

    const second = await openTerminal(server, BOT, { session: id, cols: "100", rows: "30" });
    const resumed = await second.session;
    assert.equal(resumed.id, id);
    await second.waitForOutput(/before-drop-42/);
    second.type("stty size; echo after-$((1+1))\r");
    await second.waitForOutput(/(^|\$ |# )30 100\r?$/m);
    await second.waitForOutput(/after-2/);
    second.type("exit 7\r");
    const closed = await second.closed;
    assert.equal(closed.code, 1000);
    assert.deepEqual(second.controls.at(-1), { type: "exit", exitCode: 7, signal: null });

    // A finished session re-attaches too: the replay, then the exit at once.
    const late = await openTerminal(server, BOT, { session: id });
    await late.waitForOutput(/after-2/);
    assert.equal((await late.closed).code, 1000);
    assert.equal(late.controls.at(-1)?.exitCode, 7);
  });

  it("sends the command's exit status and signal in the exit message", async () => {
    const plain = await openTerminal(server, BOT, { command: "echo hi-there; exit 4" });
    await plain.waitForOutput(/hi-there/);
    await plain.closed;
    assert.deepEqual(plain.controls.at(-1), { type: "exit", exitCode: 4, signal: null });

    const killed = await openTerminal(server, BOT, { command: "echo ready; sleep 60" });
    const { id } = await killed.session;
    await killed.waitForOutput(/ready/);
    const signalled = await server.api("POST", `/bots/${BOT}/processes/${id}/signal`, { signal: "KILL" });
    assert.equal(signalled.status, 200, JSON.stringify(signalled.body));
    await killed.closed;
    assert.deepEqual(killed.controls.at(-1), { type: "exit", exitCode: 137, signal: "SIGKILL" });
  });

  it("opens with a one-time ticket; a reused, forged, other bot's or other session's ticket is refused", async () => {
    const issue = async (botId: string, body: unknown = {}) => {
      const answer = await server.api("POST", `/bots/${botId}/terminal/tickets`, body);
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      return answer.body as { ticket: string; url: string; path: string; expires_at: string };
    };
    const ticket = await issue(BOT);
    assert.ok(ticket.url.startsWith(`ws://`) && ticket.url.endsWith(ticket.path));
    const ttl = Date.parse(ticket.expires_at) - Date.now();
    assert.ok(ttl > 50_000 && ttl <= 61_000, `a ticket lives 60 s, not ${ttl} ms`);
    const before = await processIds(server, BOT);

    // Refused, each before any process starts.
    const forged = `${ticket.ticket.slice(0, -4)}${ticket.ticket.endsWith("AAAA") ? "BBBB" : "AAAA"}`;
    const refusals = [
      [await refusedTerminal(terminalUrl(server, BOT, { ticket: forged })), 401, /signature/],
      [await refusedTerminal(terminalUrl(server, BOT, { ticket: (await issue(OTHER)).ticket })), 403, /term-ws-other/],
      [await refusedTerminal(terminalUrl(server, BOT, { ticket: "v1.e30.x" })), 401, /signature|malformed/],
      [await refusedTerminal(terminalUrl(server, BOT)), 401, /ticket/],
    ] as const;
    for (const [refusal, status, message] of refusals) {
      assert.equal(refusal.status, status, refusal.message);
      assert.match(refusal.message, message);
    }
    // A port's signed link is signed under another key: no use as a ticket.
    const portLink = await server.api("POST", `/bots/${BOT}/ports/3000/link`, {});
    assert.equal(portLink.status, 200, JSON.stringify(portLink.body));
    const link = new URL(portLink.body.url as string).searchParams.get("botbox_link")!;
    assert.equal((await refusedTerminal(terminalUrl(server, BOT, { ticket: link }))).status, 401);
    assert.deepEqual(await processIds(server, BOT), before, "no refused attempt started a process");

    // The genuine ticket opens it, without any header, once.
    const opened = await openTerminal(server, BOT, { ticket: ticket.ticket, command: "sh" }, null);
    const { id } = await opened.session;
    const reused = await refusedTerminal(terminalUrl(server, BOT, { ticket: ticket.ticket }));
    assert.equal(reused.status, 401);
    assert.match(reused.message, /used already/);

    // A re-attach ticket opens that session only, and a new-session ticket no session.
    const forSession = await issue(BOT, { session: id });
    const wrongTarget = await refusedTerminal(terminalUrl(server, BOT, { ticket: forSession.ticket }));
    assert.equal(wrongTarget.status, 403);
    const newTicket = await issue(BOT);
    assert.equal(
      (await refusedTerminal(terminalUrl(server, BOT, { ticket: newTicket.ticket, session: id }))).status,
      403,
    );
    const reattached = await openTerminal(server, BOT, { ticket: forSession.ticket, session: id }, null);
    assert.equal((await reattached.session).id, id);
    reattached.type("exit\r");
    await reattached.closed;
    opened.socket.terminate();

    // A bot's own token gets tickets for its bot only; another bot is as unknown as a missing one.
    const token = await botToken(server, OTHER);
    assert.equal((await server.api("POST", `/bots/${BOT}/terminal/tickets`, {}, token)).status, 404);
    assert.equal((await server.api("POST", `/bots/${OTHER}/terminal/tickets`, {}, token)).status, 201);
    assert.equal((await refusedTerminal(terminalUrl(server, BOT), { authorization: `Bearer ${token}` })).status, 404);
  });

  it("holds back a terminal's output while its client does not read: the server's memory stays bounded", async () => {
    const rss = async () => {
      const status = await readFile(`/proc/${server.child.pid}/status`, "utf8");
      return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) * 1024;
    };
    // A flood of output; the client reads the session message, then nothing.
    const terminal = await openTerminal(server, BOT, { command: "yes 'a line of the flood that nobody reads'" });
    const { id } = await terminal.session;
    terminal.socket.pause();
    const outputBytes = async () =>
      (await server.api("GET", `/bots/${BOT}/processes/${id}`)).body.output_bytes as number;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const [rssBefore, producedBefore] = [await rss(), await outputBytes()];
    // Until the flood wrote FLOOD_BYTES more: a server that buffered it would grow by much of that.
    const deadline = Date.now() + 60_000;
    let produced = 0;
    while (produced < FLOOD_BYTES && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      produced = (await outputBytes()) - producedBefore;
    }
    const grown = (await rss()) - rssBefore;
    assert.ok(produced >= FLOOD_BYTES, `the flood wrote only ${produced} bytes in 60 s: too little to tell`);
    // What it may hold: the WebSocket's high-water mark, the gRPC window, and the heap's noise.
    assert.ok(grown < 40 * 2 ** 20, `the server grew ${grown} bytes while ${produced} bytes were written`);
    await server.api("POST", `/bots/${BOT}/processes/${id}/signal`, { signal: "KILL" });
    terminal.socket.terminate();
  });

  it("refuses bad sizes, queries and control messages by name", async () => {
    const before = await processIds(server, BOT);
    for (const [query, field] of [
      [{ cols: "0" }, /cols/],
      [{ rows: "1001" }, /rows/],
      [{ cols: "-5" }, /cols/],
      [{ cols: "8.5" }, /cols/],
      [{ session: "nope" }, /session/],
      [{ session: "0123456789ab", command: "sh" }, /command/],
      [{ colour: "red" }, /colour/],
    ] as const) {
      const refusal = await refusedTerminal(terminalUrl(server, BOT, query), {
        authorization: `Bearer ${server.adminToken}`,
      });
      assert.equal(refusal.status, 400, `${JSON.stringify(query)}: ${refusal.message}`);
      assert.match(refusal.message, field);
    }
    const unknown = await refusedTerminal(terminalUrl(server, BOT, { session: "0123456789ab" }), {
      authorization: `Bearer ${server.adminToken}`,
    });
    assert.equal(unknown.status, 404, unknown.message);
    assert.equal(
      (await refusedTerminal(terminalUrl(server, "no-such-bot"), { authorization: `Bearer ${server.adminToken}` }))
        .status,
      404,
    );
    assert.deepEqual(await processIds(server, BOT), before);

    // A plain GET learns it is a WebSocket.
    const plain = await server.api("GET", `/bots/${BOT}/terminal`);
    assert.equal(plain.status, 426);

    for (const [message, reason] of [
      ['{"type":"resize","cols":0,"rows":10}', /cols/],
      ['{"type":"resize","cols":80,"rows":"24"}', /numbers/],
      ['{"type":"resize","cols":80.5,"rows":24}', /cols/],
      ['{"type":"paint"}', /resize/],
      ["not json", /JSON/],
    ] as const) {
      const terminal = await openTerminal(server, BOT, { command: "sh" });
      const { id } = await terminal.session;
      terminal.socket.send(message);
      const closed = await terminal.closed;
      assert.equal(closed.code, 1008, message);
      assert.match(closed.reason, reason);
      // The shell stays: a bad message ends the connection, not the process.
      assert.equal((await server.api("GET", `/bots/${BOT}/processes/${id}`)).body.pty.cols, 80);
      await server.api("POST", `/bots/${BOT}/processes/${id}/signal`, { signal: "KILL" });
    }
  });
});
