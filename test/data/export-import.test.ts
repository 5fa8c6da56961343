import assert from "node:assert/strict";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { after, before, describe, it } from "node:test";

import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { tarGz } from "./support.js";

// Inside the workspace: every entry with its type, mode and link target, then
// a hash of every file. Equal output means equal trees.
const MANIFEST = `cd /data && find . -mindepth 1 -printf '%y %m %p %l\\n' | LC_ALL=C sort &&
  find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum`;

const SAMPLE_TREE = `cd /data && mkdir -p notes/deep/deeper empty-folder/inner-empty private &&
  printf 'alpha\\n' > notes/a.txt && printf 'beta\\n' > notes/deep/deeper/b.txt && : > notes/empty.txt &&
  printf '#!/bin/sh\\necho run\\n' > run.sh && printf s3cret > private/secret &&
  head -c ${20 * 2 ** 20} /dev/urandom > big.bin &&
  chmod 755 run.sh && chmod 600 private/secret && chmod 700 private && chmod 750 notes/deep && chmod 444 notes/a.txt &&
  ln -s notes/a.txt link-to-a`;

describe("export and import of /data through the HTTP API", () => {
  let server: BotboxServer;
  let scratch: string;

  const exec = async (botId: string, command: string): Promise<string> => {
    const { status, body } = await server.api("POST", `/bots/${botId}/container/exec`, { command });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.exit_code, 0, body.stderr);
    return body.stdout as string;
  };

  const exportArchive = (botId: string, token = server.adminToken) =>
    fetch(`${server.url}/bots/${botId}/container/export`, { headers: { authorization: `Bearer ${token}` } });

  /** Posts an archive as a streamed request body (no content-length: chunked). */
  const importArchive = async (
    botId: string,
    archive: Buffer | { file: string },
    options: { replace?: boolean; token?: string; contentType?: string } = {},
  ) => {
    const body = Buffer.isBuffer(archive)
      ? archive
      : (Readable.toWeb(createReadStream(archive.file)) as unknown as ReadableStream);
    const response = await fetch(
      `${server.url}/bots/${botId}/container/import${options.replace ? "?replace=true" : ""}`,
      {
        method: "POST",
        headers: {
          authorization: `Bearer ${options.token ?? server.adminToken}`,
          "content-type": options.contentType ?? "application/gzip",
        },
        body,
        duplex: "half",
      } as RequestInit,
    );
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };

  async function newRunningBot(id: string): Promise<void> {
    assert.equal((await server.api("POST", "/bots", { id, name: id })).status, 201);
    const started = await server.api("POST", `/bots/${id}/container`);
    assert.equal(started.status, 201, JSON.stringify(started.body));
  }

  before(async () => {
    server = await startBotboxServer();
    scratch = await mkdtemp(path.join(tmpdir(), "botbox-dataio-"));
    await Promise.all(["source", "target", "guarded", "stranger", "sleeper"].map(newRunningBot));
  });
  after(async () => {
    for (const id of ["source", "target", "guarded", "stranger", "sleeper"]) await server.api("DELETE", `/bots/${id}`);
    await server.stop();
    await rm(server.home, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  });

  it("round-trips a tree (nested and empty folders, an empty file, modes, a link, 20 MiB) through export and import", async () => {
    await exec("source", SAMPLE_TREE);
    const response = await exportArchive("source");
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/gzip");
    assert.match(response.headers.get("content-disposition") ?? "", /^attachment; filename="source-data-.+\.tar\.gz"$/);
    // Streamed to disk, then streamed up again: neither side holds it whole.
    const saved = path.join(scratch, "source.tar.gz");
    await writeFile(saved, Readable.fromWeb(response.body as WebReadableStream));

    await exec("target", "echo old > /data/old.txt");
    const imported = await importArchive("target", { file: saved }, { replace: true });
    assert.deepEqual(imported, { status: 200, body: { imported: true } });
    const expected = await exec("source", MANIFEST);
    assert.match(expected, /^f 444 \.\/notes\/a\.txt $/m);
    assert.match(expected, /^d 755 \.\/empty-folder\/inner-empty $/m);
    assert.match(expected, /^l 777 \.\/link-to-a notes\/a\.txt$/m);
    assert.equal(await exec("target", MANIFEST), expected);
  });

  it("a corrupt or cut-off archive with replace=true is refused and the old data stays intact", async () => {
    await exec(
      "guarded",
      "mkdir -p /data/keep && echo precious > /data/keep/file.txt && chmod 640 /data/keep/file.txt",
    );
    const before = await exec("guarded", MANIFEST);
    const valid = Buffer.from(await (await exportArchive("guarded")).arrayBuffer());
    for (const archive of [Buffer.from("definitely not gzip"), valid.subarray(0, valid.length / 2)]) {
      const { status, body } = await importArchive("guarded", archive, { replace: true });
      assert.equal(status, 400, JSON.stringify(body));
      assert.match(body.error.message, /gzip|truncated|corrupt/);
      assert.equal(await exec("guarded", MANIFEST), before);
    }
  });

  it("an archive with ../ or absolute members cannot write outside /data, nor anything at all", async () => {
    const parent = await mkdtemp(path.join(scratch, "evil-"));
    await mkdir(path.join(parent, "inside"));
    await mkdir(path.join(parent, "tmp"));
    await writeFile(path.join(parent, "inside/fine.txt"), "fine");
    await writeFile(path.join(parent, "tmp/escaped.txt"), "escaped");
    const before = await exec("guarded", MANIFEST);
    // -P keeps the names as given; /tmp is writable inside the workspace.
    for (const members of [["fine.txt", "../tmp/escaped.txt"], [path.join(parent, "tmp/escaped.txt")]]) {
      const { status, body } = await importArchive("guarded", tarGz(path.join(parent, "inside"), members, ["-P"]), {
        replace: true,
      });
      assert.equal(status, 400, JSON.stringify(body));
      assert.match(body.error.message, /escaped\.txt" would land outside the data folder/);
    }
    const landing = ["/tmp/escaped.txt", "/escaped.txt", "/data/tmp", parent, `/data${parent}`];
    assert.equal(await exec("guarded", `ls -d ${landing.join(" ")} 2>/dev/null; echo end`), "end\n");
    assert.equal(await exec("guarded", MANIFEST), before);
  });

  it("a bot token of another bot gets 404 on both routes and changes nothing", async () => {
    const issued = await server.api("POST", "/bots/stranger/tokens", { name: "stranger's key" });
    assert.equal(issued.status, 201);
    const before = await exec("guarded", MANIFEST);
    const exported = await exportArchive("guarded", issued.body.token);
    assert.equal(exported.status, 404);
    assert.equal(((await exported.json()) as { error: { code: string } }).error.code, "not_found");
    const imported = await importArchive("guarded", tarGz(scratch), { replace: true, token: issued.body.token });
    assert.equal(imported.status, 404);
    assert.equal(imported.body.error.code, "not_found");
    assert.equal(await exec("guarded", MANIFEST), before);
    // Its own bot is fine.
    assert.equal((await exportArchive("stranger", issued.body.token)).status, 200);
  });

  it("export and import of a stopped bot fail with 503 and say why", async () => {
    assert.equal((await server.api("POST", "/bots/sleeper/container/stop", { timeout: 5 })).status, 200);
    const exported = await exportArchive("sleeper");
    assert.equal(exported.status, 503);
    const body = (await exported.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "unavailable");
    assert.match(body.error.message, /sleeper/);
    // The server answers from the headers and closes rather than read an
    // archive it cannot use; sending only the headers keeps the client from
    // racing that close (a fetch still writing gets EPIPE).
    const imported = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${server.url}/bots/sleeper/container/import`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${server.adminToken}`,
          "content-type": "application/gzip",
          "content-length": 1024,
        },
      });
      request.on("response", (response) => {
        resolve(response.statusCode ?? 0);
        request.destroy();
      });
      request.on("error", reject);
      request.flushHeaders();
    });
    assert.equal(imported, 503);
  });

  it("wants the archive as an application/gzip body", async () => {
    const asJson = await importArchive("guarded", Buffer.from(JSON.stringify({ archive: "x" })), {
      contentType: "application/json",
    });
    assert.equal(asJson.status, 400);
    assert.match(asJson.body.error.message, /application\/gzip/);
    const unknownType = await importArchive("guarded", Buffer.from("x"), { contentType: "application/zip" });
    assert.equal(unknownType.status, 415);
  });

  it("lists both routes in the OpenAPI document", async () => {
    const { body } = await server.api("GET", "/openapi.json");
    assert.ok(body.paths["/bots/{bot_id}/container/export"].get);
    assert.ok(body.paths["/bots/{bot_id}/container/import"].post);
  });
});
