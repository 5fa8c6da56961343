// Path resolution, WriteFile, WriteRaw and ReadRaw against the real bundled
// agent, including botbox's atomic writes.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { type Metadata } from "@grpc/grpc-js";

import type { AgentProcess } from "../support/agent-process.js";
import { stopAgentWithClient } from "../support/agent-with-client.js";
import {
  openRawCall,
  type RawAgentClient,
  rejectsWithCode,
  sharedAgentWithRawClient,
  status,
  tempFilesIn,
  waitFor,
  WriteRawChunk,
} from "./support.js";

const modeOf = (file: string) => statSync(file).mode & 0o7777;

/** Compares a file with a short expected text without dumping a large actual one. */
function assertContent(file: string, expected: string, message: string): void {
  const actual = readFileSync(file);
  assert.ok(
    actual.equals(Buffer.from(expected)),
    `${message}: ${actual.length} bytes, starting ${JSON.stringify(actual.subarray(0, 20).toString())}`,
  );
}

/** The files a process holds open, from /proc (Linux). */
function openFilesOf(pid: number): string[] {
  return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/${pid}/fd/${fd}`)];
    } catch {
      return [];
    }
  });
}

/** The metadata botbox's own client sends with every upload (see WriteRawChunk.commit). */
function explicitCommit(metadata: Metadata): Metadata {
  metadata.set("botbox-explicit-commit", "1");
  return metadata;
}

describe("file transfer calls", { timeout: 30_000 }, () => {
  let agent: AgentProcess;
  let client: RawAgentClient;
  let outside: string;
  const inData = (...parts: string[]) => path.join(agent.dataDir, ...parts);

  before(async () => {
    ({ agent, client } = await sharedAgentWithRawClient({ transport: "unix" }));
    outside = mkdtempSync(path.join(tmpdir(), "botbox-agent-outside-"));
  });

  after(async () => {
    await stopAgentWithClient({ agent, client });
    if (outside) rmSync(outside, { recursive: true, force: true });
  });

  describe("path resolution", () => {
    it("resolves a relative path under the data dir", async () => {
      await client.writeFile("rel/dir/x.txt", "relative");
      assert.equal(readFileSync(inData("rel", "dir", "x.txt"), "utf8"), "relative");
      const page = await client.readFile({ path: inData("rel", "dir", "x.txt") });
      assert.equal(page.content, "     1\trelative\n");
    });

    it("uses an absolute path as-is", async () => {
      const target = path.join(outside, "abs", "y.txt");
      await client.writeFile(target, "absolute\n");
      assert.equal(readFileSync(target, "utf8"), "absolute\n");
      assert.equal(existsSync(inData(target)), false, "an absolute path must not be joined onto the data dir");
      assert.equal((await client.readFile({ path: target })).content, "     1\tabsolute\n");
      assert.equal((await client.stat(target)).entry?.size, 9);
      assert.deepEqual(
        (await client.listDir({ path: path.join(outside, "abs") })).entries.map((e) => e.path),
        ["y.txt"],
      );
    });

    it("answers INVALID_ARGUMENT for a path with a NUL byte", async () => {
      await rejectsWithCode(client.writeFile("bad\0name.txt", "x"), status.INVALID_ARGUMENT);
      await rejectsWithCode(client.readFile({ path: "bad\0name.txt" }), status.INVALID_ARGUMENT);
    });

    it("cleans dot-dot segments, which may climb out of the data dir", async () => {
      await client.writeFile("sub/../cleaned.txt", "c");
      assert.equal(readFileSync(inData("cleaned.txt"), "utf8"), "c");
      const name = `escape-${randomBytes(4).toString("hex")}.txt`;
      await client.writeFile(`../${name}`, "up");
      assert.equal(readFileSync(path.join(agent.dataDir, "..", name), "utf8"), "up");
    });
  });

  describe("WriteFile", () => {
    it("creates missing parent folders", async () => {
      await client.writeFile("deep/er/still/new.txt", "made");
      assert.equal(readFileSync(inData("deep", "er", "still", "new.txt"), "utf8"), "made");
      assert.ok(statSync(inData("deep", "er")).isDirectory());
    });

    it("creates new files with mode 0644", async () => {
      await client.writeFile("mode-new.txt", "x");
      assert.equal(modeOf(inData("mode-new.txt")).toString(8), "644");
    });

    it("keeps the mode of a file it overwrites", async () => {
      writeFileSync(inData("private.txt"), "old");
      chmodSync(inData("private.txt"), 0o600);
      await client.writeFile("private.txt", "new content");
      assert.equal(readFileSync(inData("private.txt"), "utf8"), "new content");
      assert.equal(modeOf(inData("private.txt")).toString(8), "600");
      writeFileSync(inData("script.sh"), "#!/bin/sh\n");
      chmodSync(inData("script.sh"), 0o755);
      await client.writeFile("script.sh", "#!/bin/sh\necho hi\n");
      assert.equal(modeOf(inData("script.sh")).toString(8), "755");
    });

    it("writes through a symlink to the link's target and keeps the link", async () => {
      writeFileSync(inData("real.txt"), "before");
      symlinkSync("real.txt", inData("link.txt"));
      await client.writeFile("link.txt", "after");
      assert.ok(lstatSync(inData("link.txt")).isSymbolicLink(), "the link must stay a link");
      assert.equal(readFileSync(inData("real.txt"), "utf8"), "after");
    });

    it("writes through a dangling symlink by creating the file it points at", async () => {
      symlinkSync("dangling-target.txt", inData("dangling-link.txt"));
      await client.writeFile("dangling-link.txt", "created");
      assert.ok(lstatSync(inData("dangling-link.txt")).isSymbolicLink(), "the link was replaced by a regular file");
      assert.equal(readFileSync(inData("dangling-target.txt"), "utf8"), "created");
    });

    it("leaves no temporary file behind", async () => {
      mkdirSync(inData("tidy"));
      await client.writeFile("tidy/a.txt", "1");
      await client.writeFile("tidy/a.txt", "2");
      await client.writeFile("tidy/b.txt", "");
      assert.deepEqual(readdirSync(inData("tidy")).sort(), ["a.txt", "b.txt"]);
      assert.equal(readFileSync(inData("tidy", "a.txt"), "utf8"), "2");
      assert.equal(statSync(inData("tidy", "b.txt")).size, 0);
    });

    it("answers INVALID_ARGUMENT for an empty path", async () => {
      await rejectsWithCode(client.writeFile("", "x"), status.INVALID_ARGUMENT, "path is required");
    });

    it("answers INTERNAL when the path is a directory, and leaves it alone", async () => {
      mkdirSync(inData("is-a-dir"));
      writeFileSync(inData("is-a-dir", "keep.txt"), "k");
      await rejectsWithCode(client.writeFile("is-a-dir", "x"), status.INTERNAL);
      assert.deepEqual(readdirSync(inData("is-a-dir")), ["keep.txt"]);
      assert.deepEqual(tempFilesIn(agent.dataDir), []);
    });
  });

  describe("WriteRaw", () => {
    /** A folder under the data dir holding only doc.txt, with "old content" for an upload to fail to replace. */
    const folderWithOldDoc = (folder: string) => {
      mkdirSync(inData(folder));
      writeFileSync(inData(folder, "doc.txt"), "old content");
    };
    /** After a failed upload into `folder`: its temporary file goes, and doc.txt stays alone with its old content. */
    const assertUploadLeftNoTrace = async (folder: string, message: string) => {
      assert.ok(
        await waitFor(() => tempFilesIn(inData(folder)).length === 0),
        `left behind: ${tempFilesIn(inData(folder))}`,
      );
      // Give a wrong commit the time to happen before looking.
      await sleep(100);
      assert.deepEqual(readdirSync(inData(folder)), ["doc.txt"]);
      assertContent(inData(folder, "doc.txt"), "old content", message);
    };

    it("creates missing parent folders", async () => {
      const response = await client.writeRaw([{ path: "raw/new/dir/file.bin", data: Buffer.from("raw!") }]);
      assert.equal(response.bytesWritten, 4);
      assert.equal(readFileSync(inData("raw", "new", "dir", "file.bin"), "utf8"), "raw!");
    });

    it('answers INVALID_ARGUMENT "first chunk must include path" for a first chunk without one', async () => {
      const before = readdirSync(agent.dataDir).sort();
      await rejectsWithCode(
        client.writeRaw([{ data: Buffer.from("orphan") }, { path: "late.txt", data: Buffer.from("x") }]),
        status.INVALID_ARGUMENT,
        "first chunk must include path",
      );
      assert.deepEqual(readdirSync(agent.dataDir).sort(), before);
    });

    it("creates an empty file for a single chunk with a path and no data", async () => {
      const response = await client.writeRaw([{ path: "raw/empty.txt" }]);
      assert.equal(response.bytesWritten, 0);
      const stats = statSync(inData("raw", "empty.txt"));
      assert.ok(stats.isFile());
      assert.equal(stats.size, 0);
    });

    it("truncates an existing file to empty with a single empty chunk", async () => {
      writeFileSync(inData("to-empty.txt"), "something");
      await client.writeRaw([{ path: "to-empty.txt" }]);
      assert.equal(statSync(inData("to-empty.txt")).size, 0);
    });

    it("answers bytes_written 0 and creates nothing for zero chunks", async () => {
      const before = readdirSync(agent.dataDir).sort();
      const response = await client.writeRaw([]);
      assert.equal(response.bytesWritten, 0);
      assert.deepEqual(readdirSync(agent.dataDir).sort(), before);
    });

    it("reports bytes_written equal to the data of a multi-chunk upload and stores it intact", async () => {
      const data = randomBytes(1024 * 1024 + 7);
      const chunks = [];
      for (let offset = 0; offset < data.length; offset += 64 * 1024) {
        // Only the first chunk's path counts; later ones are ignored.
        chunks.push({
          path: offset === 0 ? "raw/big.bin" : "raw/ignored.bin",
          data: data.subarray(offset, offset + 64 * 1024),
        });
      }
      const response = await client.writeRaw(chunks);
      assert.equal(response.bytesWritten, data.length);
      assert.ok(readFileSync(inData("raw", "big.bin")).equals(data), "content differs");
      assert.equal(existsSync(inData("raw", "ignored.bin")), false);
      assert.deepEqual(tempFilesIn(inData("raw")), []);
    });

    it("keeps the old content and removes its temporary file when a botbox client cancels the upload", async () => {
      // grpc-js half-closes just before it resets a cancelled call, so a
      // client must say it commits explicitly for a cancel to be told apart.
      folderWithOldDoc("atomic");
      const upload = client.startWriteRaw(explicitCommit(client.metadata()));
      upload.send({ path: "atomic/doc.txt", data: Buffer.alloc(64 * 1024, "n") });
      upload.send({ data: Buffer.alloc(64 * 1024, "n") });
      // The upload is under way once the agent made its temporary file.
      assert.ok(await waitFor(() => tempFilesIn(inData("atomic")).length === 1), "no temporary file appeared");
      assertContent(inData("atomic", "doc.txt"), "old content", "the target changed mid-upload");
      upload.call.cancel();
      await rejectsWithCode(upload.result, status.CANCELLED);
      await assertUploadLeftNoTrace("atomic", "the cancelled upload replaced the file");
    });

    it("with explicit commit, an upload that half-closes without its commit chunk changes nothing", async () => {
      folderWithOldDoc("uncommitted");
      await rejectsWithCode(
        client.writeRaw([{ path: "uncommitted/doc.txt", data: Buffer.from("new") }], explicitCommit(client.metadata())),
        status.CANCELLED,
      );
      assert.deepEqual(readdirSync(inData("uncommitted")), ["doc.txt"]);
      assertContent(inData("uncommitted", "doc.txt"), "old content", "an uncommitted upload replaced the file");
    });

    it("with explicit commit, the commit chunk replaces the file and nothing may follow it", async () => {
      const response = await client.writeRaw(
        [
          { path: "committed.txt", data: Buffer.from("new ") },
          { data: Buffer.from("content"), commit: true },
        ],
        explicitCommit(client.metadata()),
      );
      assert.equal(response.bytesWritten, 11);
      assertContent(inData("committed.txt"), "new content", "the committed upload is missing");
      await rejectsWithCode(
        client.writeRaw(
          [{ path: "committed.txt", data: Buffer.from("x"), commit: true }, { data: Buffer.from("y") }],
          explicitCommit(client.metadata()),
        ),
        status.INVALID_ARGUMENT,
        "no chunk may follow the one with commit=true",
      );
      assertContent(inData("committed.txt"), "new content", "a rejected upload replaced the file");
    });

    it("keeps the old content and removes its temporary file when the client's connection drops mid-upload", async () => {
      folderWithOldDoc("dropped");
      // A raw HTTP/2 client, so the connection can vanish without a half-close.
      const { session } = await openRawCall(agent.address, "WriteRaw", [
        WriteRawChunk.encode(
          WriteRawChunk.fromPartial({ path: "dropped/doc.txt", data: Buffer.alloc(64 * 1024, "n") }),
        ).finish(),
      ]);
      assert.ok(await waitFor(() => tempFilesIn(inData("dropped")).length === 1), "no temporary file appeared");
      session.destroy();
      await assertUploadLeftNoTrace("dropped", "the broken upload replaced the file");
    });

    it("fails an upload with a chunk over 4 MiB with RESOURCE_EXHAUSTED and keeps the old content", async () => {
      folderWithOldDoc("oversize");
      await rejectsWithCode(
        client.writeRaw([
          { path: "oversize/doc.txt", data: Buffer.from("abc") },
          { data: Buffer.alloc(5 * 1024 * 1024, "q") },
        ]),
        status.RESOURCE_EXHAUSTED,
      );
      await assertUploadLeftNoTrace("oversize", "the failed upload replaced the file");
    });

    it("keeps the mode of a file it overwrites", async () => {
      writeFileSync(inData("raw-private.txt"), "old");
      chmodSync(inData("raw-private.txt"), 0o600);
      await client.writeRaw([{ path: "raw-private.txt", data: Buffer.from("new") }]);
      assert.equal(readFileSync(inData("raw-private.txt"), "utf8"), "new");
      assert.equal(modeOf(inData("raw-private.txt")).toString(8), "600");
    });
  });

  describe("ReadRaw", () => {
    it("streams a 200 KiB file in 64 KiB chunks", async () => {
      const data = randomBytes(200 * 1024);
      writeFileSync(inData("200k.bin"), data);
      const chunks = await client.readRaw("200k.bin");
      assert.deepEqual(
        chunks.map((chunk) => chunk.length),
        [65536, 65536, 65536, 8192],
      );
      assert.ok(Buffer.concat(chunks).equals(data), "content differs");
    });

    it("streams zero chunks and ends OK for an empty file", async () => {
      writeFileSync(inData("empty.bin"), "");
      assert.deepEqual(await client.readRaw("empty.bin"), []);
    });

    it("answers NOT_FOUND for a missing file", async () => {
      await rejectsWithCode(client.readRaw("missing.bin"), status.NOT_FOUND);
    });

    it("answers INVALID_ARGUMENT for an empty path", async () => {
      await rejectsWithCode(client.readRaw(""), status.INVALID_ARGUMENT, "path is required");
    });

    it("releases the file and ends the call when the client cancels while a read is under way", async () => {
      // A FIFO makes the agent's read wait exactly as long as the test wants.
      const fifo = inData("slow.fifo");
      execFileSync("mkfifo", [fifo]);
      // O_RDWR opens without waiting for the agent and keeps a writer on the pipe.
      const writer = openSync(fifo, constants.O_RDWR);
      try {
        writeSync(writer, Buffer.alloc(1000, "a"));
        const call = client.client.readRaw({ path: "slow.fifo" });
        call.on("error", () => undefined);
        // The first chunk arrived; the agent now waits in its next read.
        await once(call, "data");
        call.cancel();
        await sleep(200);
        // The read returns only now, after the cancel.
        writeSync(writer, Buffer.alloc(1000, "b"));
        const openFds = () => openFilesOf(agent.child.pid!).filter((file) => file === fifo).length;
        const logged = () => agent.logs.some((line) => line.method === "ReadRaw" && line.path === fifo);
        const settled = await waitFor(() => openFds() === 0 && logged(), 2_000);
        assert.ok(
          settled,
          `after the cancel the agent still holds ${openFds()} descriptor(s) on the file; call logged: ${logged()}`,
        );
      } finally {
        closeSync(writer);
      }
    });

    it("round-trips what WriteRaw stored", async () => {
      const data = randomBytes(300_001);
      await client.writeRaw([
        { path: "roundtrip.bin", data: data.subarray(0, 100_000) },
        { data: data.subarray(100_000) },
      ]);
      const chunks = await client.readRaw("roundtrip.bin");
      assert.ok(Buffer.concat(chunks).equals(data));
    });
  });
});
