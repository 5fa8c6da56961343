// A request that is wrong, or that the bot's state makes impossible, answers
// 4xx naming what was wrong, never 500 "internal error".
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";

import { type BotboxServer, sandboxOnly, startBotboxServer } from "../support/botbox-server.js";

const run = promisify(execFile);
const BOT = "mistakes-bot";

describe("client mistakes answer 4xx with the reason", () => {
  let server: BotboxServer;
  const raw = (
    method: string,
    route: string,
    body: string | Uint8Array | ReadableStream<Uint8Array>,
    headers: Record<string, string>,
  ) =>
    fetch(`${server.url}/bots/${BOT}${route}`, {
      method,
      headers: { authorization: `Bearer ${server.adminToken}`, ...headers },
      body,
      ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
    } as RequestInit);

  before(async () => {
    server = await startBotboxServer();
    assert.equal((await server.api("POST", "/bots", { name: "mistakes", id: BOT })).status, 201);
    assert.equal((await server.api("POST", `/bots/${BOT}/container/start`, {})).status, 200);
  });
  after(async () => {
    await server.api("DELETE", `/bots/${BOT}`);
    await server.stop();
    await rm(server.home, { recursive: true, force: true });
  });

  it("a bot id over 64 characters is a 400 naming the rule, when made and on a bot's routes alike", async () => {
    const long = "b".repeat(65);
    const made = await server.api("POST", "/bots", { name: "too long", id: long });
    assert.equal(made.status, 400, JSON.stringify(made.body));
    assert.match(JSON.stringify(made.body), /1 to 64 letters/);
    for (const route of [`/bots/${long}`, `/bots/${long}/container`]) {
      const answer = await server.api("GET", route);
      assert.equal(answer.status, 400, `${route}: ${JSON.stringify(answer.body)}`);
      assert.match(JSON.stringify(answer.body), /1 to 64 letters/);
    }
    assert.equal((await server.api("GET", `/bots/${"b".repeat(64)}`)).status, 404, "64 is within the rule");
  });

  it("a name over 255 bytes is a 400 on write, mkdir, read and upload", async () => {
    const long = `/data/${"n".repeat(300)}`;
    const answers = [
      await server.api("POST", `/bots/${BOT}/container/fs/write`, { path: long, content: "x" }),
      await server.api("POST", `/bots/${BOT}/container/fs/mkdir`, { path: long }),
      await server.api("GET", `/bots/${BOT}/container/fs/read?path=${encodeURIComponent(long)}`),
    ];
    const upload = await raw("PUT", `/container/fs/upload?path=${encodeURIComponent(long)}`, "x", {
      "content-type": "application/octet-stream",
    });
    answers.push({ status: upload.status, body: await upload.json() });
    for (const answer of answers) {
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.match(answer.body.error.message, /longer than 255 bytes/);
    }
  });

  it(
    "a write to the read-only image is a 403 that says so",
    sandboxOnly("a container's own root file system is writable"),
    async () => {
      const answer = await server.api("POST", `/bots/${BOT}/container/fs/write`, { path: "/usr/x", content: "x" });
      assert.equal(answer.status, 403, JSON.stringify(answer.body));
      assert.match(answer.body.error.message, /read-only file system/);
      assert.equal(answer.body.error.code, "read_only");
    },
  );

  it("a command with a NUL byte is a 400, on exec and on exec/stream", async () => {
    for (const route of ["/container/exec", "/container/exec/stream"]) {
      const answer = await server.api("POST", `/bots/${BOT}${route}`, { command: "echo a\u0000b" });
      assert.equal(answer.status, 400, `${route}: ${JSON.stringify(answer.body)}`);
      assert.match(answer.body.error.message, /body\.command: must not contain NUL bytes/);
    }
    const env = await server.api("POST", `/bots/${BOT}/container/exec`, { command: "true", env: { A: "x\u0000" } });
    assert.equal(env.status, 400, JSON.stringify(env.body));
  });

  it("a command over the kernel's argument limit (here 4 MiB) is a 400 naming the limit; one under it runs", async () => {
    const huge = await server.api("POST", `/bots/${BOT}/container/exec`, { command: `: ${"a".repeat(4 * 2 ** 20)}` });
    assert.equal(huge.status, 400, JSON.stringify(huge.body).slice(0, 300));
    assert.match(huge.body.error.message, /longer than 131071 bytes/);
    const fits = await server.api("POST", `/bots/${BOT}/container/exec`, {
      command: `: ${"a".repeat(100_000)}; echo ok`,
    });
    assert.equal(fits.status, 200, JSON.stringify(fits.body).slice(0, 300));
    assert.equal(fits.body.stdout, "ok\n");
  });

  it("an archive that is not gzip, or that clashes with /data, is a 400 with tar's reason", async () => {
    const garbage = await raw("POST", "/container/import", "not a gzip archive", {
      "content-type": "application/gzip",
    });
    assert.equal(garbage.status, 400, await garbage.text());

    // /data/clash is a folder; the archive holds a file of that name.
    assert.equal(
      (await server.api("POST", `/bots/${BOT}/container/fs/mkdir`, { path: "/data/clash/inner" })).status,
      200,
    );
    const folder = await mkdtemp(path.join(tmpdir(), "botbox-clash-"));
    try {
      await writeFile(path.join(folder, "clash"), "a file\n");
      const archive = path.join(folder, "clash.tar.gz");
      await run("tar", ["-czf", archive, "-C", folder, "clash"]);
      const { readFile } = await import("node:fs/promises");
      const clash = await raw("POST", "/container/import", await readFile(archive), {
        "content-type": "application/gzip",
      });
      const text = await clash.text();
      assert.equal(clash.status, 400, text);
      assert.match(text, /the archive could not be imported/);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it("an upload cut by a stop of the bot is a 4xx, and the bot can start again", async () => {
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        controller.enqueue(new Uint8Array(64 * 1024));
        await sleep(50);
      },
    });
    const uploading = raw("PUT", "/container/fs/upload?path=/data/cut.bin", stream, {
      "content-type": "application/octet-stream",
    }).then(
      async (response) => ({ status: response.status, text: await response.text() }),
      (error: unknown) => ({ status: 0, text: String(error) }),
    );
    await sleep(1_000);
    assert.equal((await server.api("POST", `/bots/${BOT}/container/stop`, { timeout: 1 })).status, 200);
    const answer = await uploading;
    assert.ok(answer.status >= 400 && answer.status < 500, `${answer.status} ${answer.text}`);
    assert.equal((await server.api("POST", `/bots/${BOT}/container/start`, {})).status, 200);
  });
});
