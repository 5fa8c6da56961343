// @botbox/sdk against a real `botbox serve` (the backend BOTBOX_TEST_RUNTIME
// names): the streams (process output, file watch, lifecycle events, the
// terminal) with each event checked against the server's own zod schema,
// and snapshots, MCP, ports, skills, memory and the /data archive.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { type Bot, type Botbox, BotboxApiError } from "../../packages/sdk/src/index.js";
import { lifecycleEventSchema } from "../../packages/server/src/http/routes/events.js";
import { outputEventSchema } from "../../packages/server/src/http/routes/processes.js";
import { watchEventSchema } from "../../packages/server/src/http/routes/watch.js";
import type { BotboxServer } from "../support/botbox-server.js";
import { firstMatching, startSdkServer, stopSdkServer } from "./support.js";

describe("@botbox/sdk: streams, snapshots, MCP and the rest", () => {
  let server: BotboxServer | undefined;
  let box: Botbox;
  let bot: Bot;
  before(async () => {
    ({ server, box } = await startSdkServer());
    bot = await box.bots.create({ name: "sdk streams", id: "sdk-streams" });
    await bot.start();
  });
  after(() => stopSdkServer(server));

  it("starts a durable process and attaches to its output until it exits", async () => {
    const started = await bot.processes.start({
      command: "echo first; sleep 0.3; echo second >&2; exit 4",
      tag: "job",
    });
    assert.equal(started.tag, "job");
    assert.ok((await bot.processes.list()).some((each) => each.id === started.id));
    const output: string[] = [];
    let exitCode: number | undefined;
    for await (const event of bot.processes.attach("job")) {
      outputEventSchema.parse(event);
      if (event.type === "output") output.push(`${event.stream}:${event.data}`);
      if (event.type === "exit") exitCode = event.process.exit_code;
    }
    assert.deepEqual(output, ["stdout:first\n", "stderr:second\n"]);
    assert.equal(exitCode, 4);
  });

  it("signals a process and names an unknown one not_found", async () => {
    const sleeper = await bot.processes.start({ command: ["sleep", "60"] });
    await bot.processes.signal(sleeper.id, "KILL");
    const ended = await firstMatching(bot.processes.attach(sleeper.id), (event) => event.type === "exit", "the exit");
    assert.equal(ended.type === "exit" && ended.process.signal, "SIGKILL");
    const unknown = await bot.processes.signal("no-such-tag").catch((error: unknown) => error);
    assert.ok(unknown instanceof BotboxApiError && unknown.code === "not_found", String(unknown));
  });

  it("watches a folder: ready, then the changes a command makes", async () => {
    await bot.files.mkdir("/data/watched");
    const abort = new AbortController();
    const events = bot.watch("/data/watched", { signal: abort.signal });
    try {
      const ready = await firstMatching(events, (event) => event.type === "ready", "ready");
      watchEventSchema.parse(ready);
      await bot.exec("echo x > /data/watched/new.txt");
      const created = await firstMatching(
        events,
        (event) => event.type === "created" && event.path === "new.txt",
        "the created event",
      );
      watchEventSchema.parse(created);
      assert.equal(created.type === "created" && created.kind, "file");
    } finally {
      abort.abort();
      await events.return(undefined).catch(() => undefined);
    }
    const refused = await bot
      .watch("/data/not-there")
      .next()
      .catch((error: unknown) => error);
    assert.ok(refused instanceof BotboxApiError && refused.code === "not_found", String(refused));
  });

  it("reads lifecycle events, replayed and followed", async () => {
    const recorded = box.events({ botId: bot.id, follow: false });
    const seen = [];
    for await (const event of recorded) seen.push(lifecycleEventSchema.parse(event));
    assert.ok(seen.length > 0 && seen.every((event) => event.bot_id === bot.id), JSON.stringify(seen));
    const abort = new AbortController();
    const live = box.events({ botId: bot.id, signal: abort.signal });
    try {
      const next = live.next();
      await bot.stop();
      const first = await next;
      assert.equal(first.done, false);
      lifecycleEventSchema.parse(first.value);
    } finally {
      abort.abort();
      await live.return(undefined).catch(() => undefined);
      await bot.start();
    }
  });

  it("opens a terminal, types into it and gets the shell's exit code", async () => {
    const chunks: Buffer[] = [];
    const terminal = await bot.terminal({ cols: 80, rows: 24, onData: (data) => chunks.push(Buffer.from(data)) });
    terminal.write("echo sdk-$((40+2))\n");
    terminal.write("exit 7\n");
    assert.equal(await terminal.wait(), 7);
    assert.match(Buffer.concat(chunks).toString("utf8"), /sdk-42/);
    const refused = await box.bots
      .handle("no-such-bot")
      .terminal({ onData: () => undefined })
      .catch((error: unknown) => error);
    assert.ok(refused instanceof BotboxApiError && refused.status === 404, String(refused));
  });

  it("snapshots the workspace and rolls back to it", async () => {
    await bot.files.write("/data/state.txt", "before");
    const snapshot = await bot.snapshots.create({ displayName: "sdk" });
    await bot.files.write("/data/state.txt", "after");
    assert.ok((await bot.snapshots.list()).some((each) => each.version === snapshot.version));
    await bot.snapshots.rollback(snapshot.version);
    assert.equal(await bot.files.read("/data/state.txt"), "before");
    const unknown = await bot.snapshots.rollback(9999).catch((error: unknown) => error);
    assert.ok(unknown instanceof BotboxApiError && unknown.status === 404, String(unknown));
  });

  it("configures MCP servers and calls a tool through the gateway", async () => {
    const server = await bot.mcp.servers.put("echo", { command: "cat" });
    assert.equal(server.name, "echo");
    assert.deepEqual(
      (await bot.mcp.servers.list()).map((each) => each.name),
      ["echo"],
    );
    await bot.mcp.servers.remove("echo");
    assert.deepEqual(await bot.mcp.servers.list(), []);
    const client = await bot.mcp.connect();
    try {
      const { tools } = await client.listTools();
      assert.ok(tools.length > 0, "the gateway lists the built-in tools");
    } finally {
      await client.close();
    }
  });

  it("signs a port link, keeps skills and memory, and moves /data through an archive", async () => {
    const link = await bot.ports.link(8080, { ttlSeconds: 60 });
    assert.match(link.url, /^http/);
    const names = await bot.skills.put(["---\nname: greet\ndescription: Say hello\n---\n\nSay hello.\n"]);
    assert.deepEqual(names, ["greet"]);
    assert.deepEqual(
      (await bot.skills.list()).skills.map((skill) => skill.name),
      ["greet"],
    );
    await bot.skills.remove(["greet"]);
    const memory = await bot.memory.add("Ada prefers tea");
    assert.ok((await bot.memory.list()).some((each) => each.id === memory.id));
    assert.equal(await bot.memory.remove([memory.id]), 1);

    await bot.files.write("/data/carried.txt", "across bots");
    const copy = await box.bots.create({ name: "sdk copy" });
    await copy.start();
    await copy.import(await bot.export());
    assert.equal(await copy.files.read("/data/carried.txt"), "across bots");
  });
});
