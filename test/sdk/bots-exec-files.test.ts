// @botbox/sdk against a real `botbox serve` (the backend BOTBOX_TEST_RUNTIME
// names): bots, exec (whole and streamed), files (text, listing, streams)
// and the typed errors the API's codes become.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { type Bot, type Botbox, BotboxApiError } from "../../packages/sdk/src/index.js";
import type { BotboxServer } from "../support/botbox-server.js";
import { bytesOf, startSdkServer, stopSdkServer, streamOf } from "./support.js";

describe("@botbox/sdk: bots, exec and files", () => {
  let server: BotboxServer | undefined;
  let box: Botbox;
  let bot: Bot;
  before(async () => {
    ({ server, box } = await startSdkServer());
    bot = await box.bots.create({ name: "sdk files", id: "sdk-files" });
    await bot.start();
  });
  after(() => stopSdkServer(server));

  it("creates, finds and lists bots with their typed fields", async () => {
    assert.equal(bot.id, "sdk-files");
    assert.equal(bot.info.name, "sdk files");
    const found = await box.bots.get("sdk-files");
    assert.equal(found.info.network, "isolated");
    const ids = (await box.bots.list()).map((each) => each.id);
    assert.ok(ids.includes("sdk-files"), ids.join(","));
    assert.equal((await bot.container()).status, "running");
  });

  it("answers a refusal as BotboxApiError with the API's status and code", async () => {
    const notFound = await box.bots.get("no-such-bot").catch((error: unknown) => error);
    assert.ok(notFound instanceof BotboxApiError, String(notFound));
    assert.equal(notFound.status, 404);
    assert.equal(notFound.code, "not_found");
    const conflict = await box.bots.create({ name: "again", id: "sdk-files" }).catch((error: unknown) => error);
    assert.ok(conflict instanceof BotboxApiError, String(conflict));
    assert.deepEqual([conflict.status, conflict.code], [409, "conflict"]);
    const bad = await box.bots.create({ name: "" }).catch((error: unknown) => error);
    assert.ok(bad instanceof BotboxApiError, String(bad));
    assert.deepEqual([bad.status, bad.code], [400, "bad_request"]);
    assert.match(bad.message, /name/);
    const denied = await new (box.constructor as typeof Botbox)({ url: server!.url, token: "bbx_wrong" }).bots
      .list()
      .catch((error: unknown) => error);
    assert.ok(denied instanceof BotboxApiError, String(denied));
    assert.deepEqual([denied.status, denied.code], [401, "unauthenticated"]);
  });

  it("runs a command and answers its output and exit code", async () => {
    const result = await bot.exec("echo out; echo err >&2; exit 3");
    assert.deepEqual(result, { stdout: "out\n", stderr: "err\n", exitCode: 3, truncated: false });
  });

  it("streams a command's output to the callbacks as it comes, keeping only what has no callback", async () => {
    const seen: string[] = [];
    const result = await bot.execStream("echo one; sleep 0.2; echo two >&2; echo three", {
      onStdout: (data) => seen.push(`out:${data}`),
      onStderr: (data) => seen.push(`err:${data}`),
    });
    assert.deepEqual([result.exitCode, result.stdout, result.stderr], [0, "", ""]);
    assert.deepEqual(seen.join(""), "out:one\nerr:two\nout:three\n");
    const kept = await bot.execStream("echo kept; echo also >&2; exit 2", { onStderr: (data) => seen.push(data) });
    assert.deepEqual([kept.exitCode, kept.stdout, kept.stderr], [2, "kept\n", ""]);
    assert.equal(seen.at(-1), "also\n");
  });

  it("writes, reads, lists, renames and removes files", async () => {
    await bot.files.mkdir("/data/sdk");
    await bot.files.write("/data/sdk/a.txt", "hello sdk\n");
    assert.equal(await bot.files.read("/data/sdk/a.txt"), "hello sdk\n");
    await bot.files.rename("/data/sdk/a.txt", "/data/sdk/b.txt");
    const names = (await bot.files.list("/data/sdk")).map((entry) => entry.name);
    assert.deepEqual(names, ["b.txt"]);
    await bot.files.remove("/data/sdk", { recursive: true });
    const gone = await bot.files.read("/data/sdk/b.txt").catch((error: unknown) => error);
    assert.ok(gone instanceof BotboxApiError, String(gone));
    assert.deepEqual([gone.status, gone.code], [404, "not_found"]);
  });

  it("lists every page of a large folder", async () => {
    await bot.exec("mkdir -p /data/many && cd /data/many && for i in $(seq 1 1200); do : > f$i; done");
    const entries = await bot.files.list("/data/many");
    assert.equal(entries.length, 1200);
  });

  it("uploads a stream and downloads it as a stream, byte for byte", async () => {
    const chunks = Array.from({ length: 64 }, (_, index) => `chunk ${index} ${"x".repeat(1000)}\n`);
    const uploaded = await bot.files.upload("/data/streamed.txt", streamOf(chunks));
    const expected = Buffer.from(chunks.join(""));
    assert.equal(uploaded.size, expected.length);
    const download = await bot.files.download("/data/streamed.txt");
    assert.equal(download.size, expected.length);
    assert.ok((await bytesOf(download.body)).equals(expected));
    const missing = await bot.files.download("/data/none").catch((error: unknown) => error);
    assert.ok(missing instanceof BotboxApiError, String(missing));
    assert.equal(missing.code, "not_found");
  });

  it("stops a bot, refuses exec on it as unavailable, and deletes it", async () => {
    const other = await box.bots.create({ name: "sdk stopped" });
    await other.start();
    assert.equal((await other.stop()).status, "stopped");
    const refused = await other.exec("true").catch((error: unknown) => error);
    assert.ok(refused instanceof BotboxApiError, String(refused));
    assert.deepEqual([refused.status, refused.code], [503, "unavailable"]);
    await other.delete();
    const deleted = await box.bots.get(other.id).catch((error: unknown) => error);
    assert.ok(deleted instanceof BotboxApiError && deleted.code === "not_found", String(deleted));
  });
});
