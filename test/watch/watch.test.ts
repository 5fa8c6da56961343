// File watch end to end (issue 15 §3, §5): a real `botbox serve`, a real
// bot on the backend BOTBOX_TEST_RUNTIME names, changes made by a process
// in the bot, over HTTP (NDJSON and SSE) and `botbox watch`.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { addBots, botToken, removeServer, shellIn } from "../support/bots.js";

const BOTBOX = fileURLToPath(new URL("../../packages/server/dist/botbox.js", import.meta.url));
const BOT = "watch-e2e";
const OTHER = "watch-e2e-other";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read event fields freely
type Event = Record<string, any>;

/** An open watch request: its events as they come, and a wait by deadline. */
async function openWatch(server: BotboxServer, query: string, options: { sse?: boolean; token?: string } = {}) {
  const abort = new AbortController();
  const response = await fetch(`${server.url}/bots/${BOT}/container/fs/watch?${query}`, {
    headers: {
      authorization: `Bearer ${options.token ?? server.adminToken}`,
      ...(options.sse ? { accept: "text/event-stream" } : {}),
    },
    signal: abort.signal,
  });
  const events: Event[] = [];
  let raw = "";
  const reading = (async () => {
    if (!response.body || response.status !== 200) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body) {
        raw += decoder.decode(chunk, { stream: true });
        const separator = options.sse ? "\n\n" : "\n";
        let end: number;
        while ((end = raw.indexOf(separator)) !== -1) {
          const block = raw.slice(0, end);
          raw = raw.slice(end + separator.length);
          if (options.sse) {
            if (block.startsWith(":")) events.push({ type: "keepalive" });
            const data = block.split("\n").find((line) => line.startsWith("data: "));
            if (data) events.push(JSON.parse(data.slice(6)) as Event);
          } else events.push(JSON.parse(block) as Event);
        }
      }
    } catch {
      // aborted
    }
  })();
  const until = async (test: (events: Event[]) => boolean, what: string, ms = 20_000) => {
    const deadline = Date.now() + ms;
    while (!test(events)) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(events)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return { response, events, until, close: () => abort.abort(), reading };
}

const has = (events: Event[], type: string, path: string) =>
  events.some((event) => event.type === type && event.path === path);

describe("file watch end to end", { timeout: 180_000 }, () => {
  let server: BotboxServer;
  let shell: (command: string) => Promise<string>;

  before(async () => {
    server = await startBotboxServer();
    await addBots(server, [BOT, OTHER]);
    shell = shellIn(server, BOT);
    await shell("mkdir -p /data/w/sub");
  });
  after(() => removeServer(server, [BOT, OTHER]));

  it("streams create, modify and delete made by a process in the bot, as NDJSON", async () => {
    const watch = await openWatch(server, "path=/data/w&recursive=true");
    assert.equal(watch.response.status, 200);
    assert.match(watch.response.headers.get("content-type") ?? "", /application\/x-ndjson/);
    await watch.until((events) => events[0]?.type === "ready", "ready");
    assert.equal(watch.events[0]!.root, "/data/w");
    await shell(
      "echo one > /data/w/a.txt && sleep 0.2 && echo two >> /data/w/a.txt && echo x > /data/w/sub/b.txt && sleep 0.2 && rm /data/w/a.txt",
    );
    await watch.until((events) => has(events, "deleted", "a.txt"), "a.txt deleted");
    assert.ok(has(watch.events, "created", "a.txt"));
    assert.ok(has(watch.events, "modified", "a.txt"));
    assert.ok(has(watch.events, "created", "sub/b.txt"));
    const created = watch.events.find((event) => event.type === "created" && event.path === "a.txt")!;
    assert.equal(created.kind, "file");
    assert.match(created.time, /^\d{4}-\d\d-\d\dT/);
    watch.close();
  });

  it("streams SSE with a keep-alive on idle", async () => {
    const watch = await openWatch(server, "path=/data/w&keepalive=1", { sse: true });
    assert.match(watch.response.headers.get("content-type") ?? "", /text\/event-stream/);
    await watch.until((events) => events.some((event) => event.type === "keepalive"), "a keep-alive", 10_000);
    await shell("touch /data/w/sse.txt");
    await watch.until((events) => has(events, "created", "sse.txt"), "sse.txt");
    watch.close();
  });

  it("answers 4xx before streaming for a bad or refused path, and 404 to another bot's token", async () => {
    const missing = await openWatch(server, "path=/data/nowhere");
    assert.equal(missing.response.status, 404, JSON.stringify(await missing.response.text()));
    const outside = await openWatch(server, "path=/etc");
    assert.equal(outside.response.status, 403);
    const bad = await openWatch(server, "path=/data/w&recursive=maybe");
    assert.equal(bad.response.status, 400);
    const other = await openWatch(server, "path=/data/w", { token: await botToken(server, OTHER) });
    assert.equal(other.response.status, 404);
    const own = await openWatch(server, "path=/data/w", { token: await botToken(server, BOT) });
    assert.equal(own.response.status, 200);
    own.close();
  });

  it("botbox watch prints one line per event", async () => {
    const child = spawn(
      process.execPath,
      [BOTBOX, "--url", server.url, "--token", server.adminToken, "watch", BOT, "/data/w", "--recursive"],
      { env: { ...process.env, BOTBOX_URL: "", BOTBOX_TOKEN: "" } },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const deadline = Date.now() + 20_000;
      while (!stderr.includes("watching /data/w")) {
        if (Date.now() > deadline || child.exitCode !== null) assert.fail(`no ready: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await shell("echo x > /data/w/sub/cli.txt && sleep 0.2 && mv /data/w/sub/cli.txt /data/w/cli2.txt");
      while (!stdout.includes("cli2.txt")) {
        if (Date.now() > deadline) assert.fail(`no events: ${stdout} ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const lines = stdout.trim().split("\n");
      assert.ok(lines.includes("created  sub/cli.txt (file)"), stdout);
      assert.ok(lines.includes("renamed  sub/cli.txt -> cli2.txt (file)"), stdout);
    } finally {
      child.kill("SIGTERM");
    }
  });
});
