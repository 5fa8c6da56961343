// Downloads and uploads through the file manager: streamed both
// ways, ranges, limits, and uploads that fail leave the old file in place.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";

import { type FilesServer, json, startFilesServer } from "./support.js";

const BOT = "files-transfer";
const OTHER = "files-transfer-other";
const LIMITED = "files-limited";
const UPLOAD_LIMIT = 2 ** 20;
const READ_LIMIT = 64 * 1024;

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");
const q = (path: string) => `?path=${encodeURIComponent(path)}`;

/** A body of `chunks` pieces of `size` random bytes, sent chunked (no Content-Length). */
function chunkedBody(chunks: Buffer[]): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
}

function uploadHelpers(files: () => FilesServer, bot: string) {
  const put = (path: string, body: RequestInit["body"], init: RequestInit & { token?: string } = {}) =>
    files()
      .fetch(files().url(bot, `/fs/upload${q(path)}`), {
        method: "PUT",
        body,
        duplex: "half",
        ...init,
        headers: { "content-type": "application/octet-stream", ...(init.headers as Record<string, string>) },
      } as RequestInit)
      .then(json);
  const postForm = (form: FormData) =>
    files().fetch(files().url(bot, "/fs/upload"), { method: "POST", body: form }).then(json);
  const download = (path: string, headers: Record<string, string> = {}) =>
    files().fetch(files().url(bot, `/fs/download${q(path)}`), { headers });
  const bytesOf = async (path: string) => Buffer.from(await (await download(path)).arrayBuffer());
  return { put, postForm, download, bytesOf };
}

describe("file transfers", () => {
  let files: FilesServer;
  const { put, postForm, download, bytesOf } = uploadHelpers(() => files, BOT);

  before(async () => {
    files = await startFilesServer([BOT, OTHER]);
  });
  after(async () => {
    await files?.close();
  });

  describe("GET /fs/download", () => {
    const payload = randomBytes(3 * 2 ** 20 + 123);

    before(async () => {
      assert.equal((await put("/data/blob.bin", payload)).status, 200);
    });

    it("streams the exact bytes with length, type, disposition and Accept-Ranges", async () => {
      const response = await download("/data/blob.bin");
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-length"), String(payload.length));
      assert.equal(response.headers.get("content-type"), "application/octet-stream");
      assert.equal(response.headers.get("content-disposition"), 'attachment; filename="blob.bin"');
      assert.equal(response.headers.get("accept-ranges"), "bytes");
      assert.equal(sha256(Buffer.from(await response.arrayBuffer())), sha256(payload));
    });

    it("takes the content type from the extension", async () => {
      for (const [name, type] of [
        ["page.html", "text/html; charset=utf-8"],
        ["data.json", "application/json"],
        ["photo.PNG", "image/png"],
        ["notes.unknownext", "application/octet-stream"],
      ]) {
        await put(`/data/types/${name}`, "x");
        const response = await download(`/data/types/${name}`);
        assert.equal(response.headers.get("content-type"), type, name);
        await response.arrayBuffer();
      }
    });

    it("names a non-ASCII file with RFC 5987 filename*", async () => {
      await put('/data/résumé "final".txt', "cv");
      const response = await download('/data/résumé "final".txt');
      assert.equal(
        response.headers.get("content-disposition"),
        `attachment; filename="r_sum_ _final_.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.txt`,
      );
      assert.equal(await response.text(), "cv");
    });

    it("answers a single Range with 206 and exactly those bytes", async () => {
      const cases: [string, number, number][] = [
        ["bytes=0-0", 0, 0],
        ["bytes=100-199", 100, 199],
        ["bytes=70000-", 70000, payload.length - 1],
        ["bytes=-10", payload.length - 10, payload.length - 1],
        ["bytes=2000000-99999999", 2000000, payload.length - 1],
      ];
      for (const [range, start, end] of cases) {
        const response = await download("/data/blob.bin", { range });
        assert.equal(response.status, 206, range);
        assert.equal(response.headers.get("content-range"), `bytes ${start}-${end}/${payload.length}`, range);
        assert.equal(response.headers.get("content-length"), String(end - start + 1), range);
        const body = Buffer.from(await response.arrayBuffer());
        assert.ok(body.equals(payload.subarray(start, end + 1)), range);
      }
    });

    it("answers 416 for a range outside the file, and the whole file for several ranges", async () => {
      const outside = await download("/data/blob.bin", { range: `bytes=${payload.length}-` });
      assert.equal(outside.status, 416);
      assert.equal(outside.headers.get("content-range"), `bytes */${payload.length}`);
      assert.equal((await json(outside)).body.error.code, "range_not_satisfiable");
      const several = await download("/data/blob.bin", { range: "bytes=0-1,5-6" });
      assert.equal(several.status, 200);
      assert.equal((await several.arrayBuffer()).byteLength, payload.length);
    });

    it("answers HEAD with the headers and no body", async () => {
      const response = await files.fetch(files.url(BOT, `/fs/download${q("/data/blob.bin")}`), { method: "HEAD" });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-length"), String(payload.length));
    });

    it("answers 404 for a missing file, 400 for a folder or a device", async () => {
      const missing = await json(await download("/data/not-here.bin"));
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, "not_found");
      assert.equal((await json(await download("/data"))).status, 400);
      assert.equal((await json(await download("/dev/zero"))).status, 400);
    });

    it("streams a file that says it is empty, like those in /proc, to its end", async () => {
      const response = await download("/proc/self/status");
      assert.equal(response.status, 200);
      assert.match(await response.text(), /^Name:/);
    });

    it("gives another bot's token a 404", async () => {
      const response = await files.fetch(files.url(BOT, `/fs/download${q("/data/blob.bin")}`), {
        token: files.tokens[OTHER],
      });
      assert.equal(response.status, 404);
    });
  });

  describe("uploads", () => {
    it("PUT streams the raw body into the file and creates its folders", async () => {
      const data = randomBytes(5 * 2 ** 20 + 7);
      const { status, body } = await put("/data/up/raw/one.bin", data);
      assert.equal(status, 200);
      assert.deepEqual(body, { path: "/data/up/raw/one.bin", size: data.length });
      assert.equal(sha256(await bytesOf("/data/up/raw/one.bin")), sha256(data));
    });

    it("PUT accepts a chunked body and any content type", async () => {
      const pieces = Array.from({ length: 20 }, () => randomBytes(50_000));
      const whole = Buffer.concat(pieces);
      const chunked = await put("/data/up/chunked.bin", chunkedBody([...pieces]));
      assert.deepEqual(chunked.body, { path: "/data/up/chunked.bin", size: whole.length });
      assert.ok((await bytesOf("/data/up/chunked.bin")).equals(whole));
      const typed = await put("/data/up/typed.txt", "text body", { headers: { "content-type": "text/plain" } });
      assert.equal(typed.status, 200);
      assert.equal((await bytesOf("/data/up/typed.txt")).toString(), "text body");
    });

    it("POST multipart takes the path field, then the file", async () => {
      const data = randomBytes(300_000);
      const form = new FormData();
      form.append("path", "/data/up/form.bin");
      form.append("file", new Blob([data]), "ignored-name.bin");
      const { status, body } = await postForm(form);
      assert.equal(status, 200, JSON.stringify(body));
      assert.deepEqual(body, { path: "/data/up/form.bin", size: data.length });
      assert.ok((await bytesOf("/data/up/form.bin")).equals(data));
    });

    it("an upload of 0 bytes creates an empty file, by PUT and by multipart", async () => {
      assert.deepEqual((await put("/data/up/empty-put", new Uint8Array(0))).body, {
        path: "/data/up/empty-put",
        size: 0,
      });
      const form = new FormData();
      form.append("path", "/data/up/empty-form");
      form.append("file", new Blob([]), "empty");
      assert.deepEqual((await postForm(form)).body, { path: "/data/up/empty-form", size: 0 });
      for (const path of ["/data/up/empty-put", "/data/up/empty-form"]) {
        const stat = await files.fetch(files.url(BOT, `/fs${q(path)}`)).then(json);
        assert.equal(stat.status, 200, path);
        assert.equal(stat.body.size, 0);
      }
    });

    it("multipart without a path, with the file first, without a file, or not multipart is a 400", async () => {
      const fileFirst = new FormData();
      fileFirst.append("file", new Blob(["x"]), "x");
      fileFirst.append("path", "/data/up/late");
      const late = await postForm(fileFirst);
      assert.equal(late.status, 400);
      assert.match(late.body.error.message, /body\.path: is required, and must come before the file/);
      const noFile = new FormData();
      noFile.append("path", "/data/up/nofile");
      assert.match((await postForm(noFile)).body.error.message, /body\.file: is required/);
      const plain = await files
        .fetch(files.url(BOT, "/fs/upload"), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ path: "/data/up/json" }),
        })
        .then(json);
      assert.equal(plain.status, 400);
      assert.match(plain.body.error.message, /multipart\/form-data/);
      assert.equal((await files.fetch(files.url(BOT, `/fs${q("/data/up/late")}`))).status, 404);
    });

    it("PUT without a path, onto a folder, or onto a protected path is refused", async () => {
      const missing = await files
        .fetch(files.url(BOT, "/fs/upload"), {
          method: "PUT",
          body: "x",
          headers: { "content-type": "application/octet-stream" },
        })
        .then(json);
      assert.equal(missing.status, 400);
      assert.match(missing.body.error.message, /query\.path: is required/);
      assert.equal((await put("/data", "x")).status, 403);
      assert.equal((await put("/data/up", "x")).status, 400);
    });

    it("another bot's token gets a 404 and writes nothing", async () => {
      const { status } = await put("/data/up/intruder", "x", { token: files.tokens[OTHER] });
      assert.equal(status, 404);
      assert.equal((await files.fetch(files.url(BOT, `/fs${q("/data/up/intruder")}`))).status, 404);
    });

    it("an upload aborted midway leaves the previous file intact", async () => {
      await put("/data/up/precious.txt", "the old content");
      const url = new URL(files.url(BOT, `/fs/upload${q("/data/up/precious.txt")}`));
      await new Promise<void>((resolve) => {
        const request = httpRequest(url, {
          method: "PUT",
          headers: {
            authorization: `Bearer ${files.server.adminToken}`,
            "content-type": "application/octet-stream",
            "content-length": String(8 * 2 ** 20),
          },
        });
        request.on("error", () => resolve());
        request.on("close", () => resolve());
        request.write(randomBytes(2 * 2 ** 20), () => setTimeout(() => request.destroy(), 300));
      });
      // The agent drops its temporary file once it sees the cancel.
      let leftovers = "";
      for (let i = 0; i < 50; i++) {
        leftovers = await files.sh(BOT, "ls -A /data/up | grep botbox || true");
        if (leftovers === "") break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(leftovers, "");
      assert.equal((await bytesOf("/data/up/precious.txt")).toString(), "the old content");
    });
  });
});

describe("file transfer limits (files.max_upload_bytes 1 MiB, files.max_read_bytes 64 KiB)", () => {
  let files: FilesServer;
  const { put, postForm, bytesOf } = uploadHelpers(() => files, LIMITED);
  const original = "the file before the upload";

  before(async () => {
    files = await startFilesServer([LIMITED], {
      BOTBOX_FILES_MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT),
      BOTBOX_FILES_MAX_READ_BYTES: String(READ_LIMIT),
    });
  });
  after(async () => {
    await files?.close();
  });

  const assertTooLarge = (result: { status: number; body: { error: { code: string; message: string } } }) => {
    assert.equal(result.status, 413, JSON.stringify(result.body));
    assert.equal(result.body.error.code, "payload_too_large");
    assert.match(result.body.error.message, /larger than the limit of 1048576 bytes/);
  };

  it("accepts an upload of exactly the limit", async () => {
    const data = randomBytes(UPLOAD_LIMIT);
    assert.deepEqual((await put("/data/exact.bin", data)).body, { path: "/data/exact.bin", size: UPLOAD_LIMIT });
  });

  it("refuses a PUT that declares more with 413, and the old file stays", async () => {
    await put("/data/keep.txt", original);
    assertTooLarge(await put("/data/keep.txt", randomBytes(UPLOAD_LIMIT + 1)));
    assert.equal((await bytesOf("/data/keep.txt")).toString(), original);
  });

  it("refuses a chunked PUT once it passes the limit with 413, and the old file stays", async () => {
    await put("/data/keep.txt", original);
    const pieces = Array.from({ length: 40 }, () => randomBytes(64 * 1024));
    const response = await files.fetch(files.url(LIMITED, `/fs/upload${q("/data/keep.txt")}`), {
      method: "PUT",
      body: chunkedBody(pieces),
      duplex: "half",
    } as RequestInit);
    // Answered at once, and the connection closed rather than the rest read.
    assert.equal(response.headers.get("connection"), "close");
    assertTooLarge(await json(response));
    assert.equal((await bytesOf("/data/keep.txt")).toString(), original);
  });

  it("keeps reading after that early 413, so a client still sending gets the answer and no reset", async () => {
    // A raw client that keeps writing after the answer, as a slow one does: a
    // server that closed at once would answer those bytes with a reset, which
    // fails the writes (EPIPE, ECONNRESET); one that lingers reads them.
    const url = new URL(files.url(LIMITED, `/fs/upload${q("/data/keep.txt")}`));
    // Half-open, as a client that still sends after the server's FIN is.
    const socket = connect({ port: Number(url.port), host: url.hostname, allowHalfOpen: true });
    const errors: string[] = [];
    socket.on("error", (error: NodeJS.ErrnoException) => errors.push(error.code ?? error.message));
    let answer = "";
    let ended = false;
    socket.setEncoding("latin1").on("data", (part: string) => (answer += part));
    socket.on("end", () => (ended = true));
    socket.write(
      `PUT ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n` +
        `authorization: Bearer ${files.tokens[LIMITED]}\r\ntransfer-encoding: chunked\r\n\r\n`,
    );
    const piece = randomBytes(64 * 1024);
    const chunk = Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n")]);
    const deadline = Date.now() + 10_000;
    while (!ended && errors.length === 0 && Date.now() < deadline) {
      if (!socket.write(chunk)) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.ok(ended, `the server shut its side after the answer (errors: ${errors.join(", ")})`);
    // Still sending after the answer: half a second of writes, none reset.
    const until = Date.now() + 500;
    while (Date.now() < until && errors.length === 0) {
      socket.write(chunk);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    socket.destroy();
    assert.deepEqual(errors, []);
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.match(answer, /connection: close/i);
  });

  it("refuses an oversized multipart file with 413, and the old file stays", async () => {
    await put("/data/keep.txt", original);
    const form = new FormData();
    form.append("path", "/data/keep.txt");
    form.append("file", new Blob([randomBytes(UPLOAD_LIMIT + 1)]), "big");
    assertTooLarge(await postForm(form));
    assert.equal((await bytesOf("/data/keep.txt")).toString(), original);
  });

  it("reads a text file up to max_read_bytes and answers 413 past it", async () => {
    await put("/data/fits.txt", "a".repeat(READ_LIMIT));
    const fits = await files.fetch(files.url(LIMITED, `/fs/read${q("/data/fits.txt")}`)).then(json);
    assert.equal(fits.status, 200);
    assert.equal(fits.body.size, READ_LIMIT);
    await put("/data/big.txt", "a".repeat(READ_LIMIT + 1));
    const big = await files.fetch(files.url(LIMITED, `/fs/read${q("/data/big.txt")}`)).then(json);
    assert.equal(big.status, 413);
    assert.match(big.body.error.message, /65537 bytes.*use \/fs\/download/);
  });
});
