// The memory file store's bounds against a real agent process: files in
// memory/ that are not regular files (a FIFO, a symlink to /dev/zero) or are
// too large are skipped, never read whole; day files past gRPC's 4 MiB
// message limit are written by streaming; past the read cap a write is a 413.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { lstat, mkdir, rm, symlink, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { promisify } from "node:util";

import { ConflictError } from "../../packages/server/src/errors.js";
import {
  MAX_MEMORY_FILE_BYTES,
  MemoryFileStore,
  MemoryFileTooLargeError,
  type MemoryItem,
} from "../../packages/server/src/memory/index.js";
import { type MemoryAgent, startMemoryAgent } from "./memory-agent.js";

const NOW = new Date("2026-05-17T12:00:00Z");
const item = (id: string, text: string, createdAt = "2026-03-01T10:00:00Z"): MemoryItem => ({
  id,
  text,
  hash: `h-${id}`,
  createdAt,
  updatedAt: createdAt,
});
/** A 64 KB memory text, the largest a bot may add. */
const bigText = (n: number) => `${n} `.padEnd(64 * 1024 - 16, "x");

describe("MemoryFileStore bounds on a real agent", () => {
  let memory: MemoryAgent;
  let store: MemoryFileStore;
  const warnings: string[] = [];
  const inData = (relativePath: string) => path.join(memory.agent.dataDir, relativePath);

  before(async () => {
    memory = await startMemoryAgent();
    store = new MemoryFileStore(memory.client, { now: () => NOW, warn: (message) => warnings.push(message) });
  });
  beforeEach(async () => {
    await memory.reset();
    await rm(inData("elsewhere.fifo"), { force: true });
    warnings.length = 0;
  });
  after(async () => {
    await memory?.stop();
  });

  it("skips a symlink to /dev/zero and a FIFO in memory/ and still lists the real memories", async () => {
    await store.persistMemories([item("a", "real one"), item("b", "real two", "2026-03-02T10:00:00Z")]);
    await symlink("/dev/zero", inData("memory/zz.md"));
    await promisify(execFile)("mkfifo", [inData("memory/fifo.md")]);
    const started = Date.now();
    const items = await store.readAllMemoryFiles();
    assert.deepEqual(
      items.map((entry) => entry.text),
      ["real one", "real two"],
    );
    assert.ok(Date.now() - started < 5000, "the listing does not hang");
    assert.equal(warnings.length, 2, warnings.join("; "));
    assert.ok(warnings.some((message) => message.includes("memory/zz.md")));
    assert.ok(warnings.some((message) => message.includes("memory/fifo.md")));
    // Adding still works, and so does a rebuild of the index.
    await store.persistMemories([item("c", "real three")]);
    assert.equal(await store.rebuildIndex(), 3);
  });

  it("replaces a FIFO, or a symlink to one, that sits where a day file goes, without writing through the link", async () => {
    await mkdir(inData("memory"), { recursive: true });
    await promisify(execFile)("mkfifo", [inData("memory/2026-03-01.md")]);
    // Never a link to a real device here: the test agent runs on the host.
    await promisify(execFile)("mkfifo", [inData("elsewhere.fifo")]);
    await symlink(inData("elsewhere.fifo"), inData("memory/2026-03-02.md"));
    await store.persistMemories([item("a", "one"), item("b", "two", "2026-03-02T10:00:00Z")]);
    assert.deepEqual(
      (await store.readAllMemoryFiles()).map((entry) => entry.text),
      ["one", "two"],
    );
    assert.match((await memory.read("memory/2026-03-01.md"))!, /^# Memory 2026-03-01\n/);
    assert.ok((await lstat(inData("memory/2026-03-02.md"))).isFile());
    assert.ok((await lstat(inData("elsewhere.fifo"))).isFIFO());
  });

  it("skips memory files larger than the cap, and a manifest that is, is a conflict a rebuild repairs", async () => {
    await store.persistMemories([item("a", "kept")]);
    await writeFile(inData("memory/huge.md"), "");
    await truncate(inData("memory/huge.md"), MAX_MEMORY_FILE_BYTES + 1);
    await symlink(inData("memory/huge.md"), inData("memory/link.md"));
    assert.deepEqual(
      (await store.readAllMemoryFiles()).map((entry) => entry.text),
      ["kept"],
    );
    assert.equal(warnings.length, 2);
    assert.ok(warnings.every((message) => message.includes("larger than")));

    await truncate(inData("index/manifest.json"), MAX_MEMORY_FILE_BYTES + 1);
    await assert.rejects(store.readManifest(), ConflictError);
    assert.equal(await store.rebuildIndex(), 1);
    assert.deepEqual([...(await store.readManifest()).entries.keys()], ["a"]);
  });

  it("persists and reads back a day file larger than 4 MiB", async () => {
    const first = Array.from({ length: 40 }, (_, n) => item(`m${n}`, bigText(n)));
    const second = Array.from({ length: 40 }, (_, n) => item(`m${40 + n}`, bigText(40 + n)));
    await store.persistMemories(first);
    await store.persistMemories(second);
    const written = (await memory.read("memory/2026-03-01.md"))!;
    assert.ok(Buffer.byteLength(written) > 4 * 2 ** 20, `day file is ${Buffer.byteLength(written)} bytes`);
    const items = await store.readAllMemoryFiles();
    assert.equal(items.length, 80);
    assert.deepEqual(
      new Set(items.map((entry) => entry.text)),
      new Set([...first, ...second].map((entry) => entry.text)),
    );
    assert.equal((await store.readManifest()).entries.size, 80);
  });

  it("refuses with a 413 a write that would take a day file past the cap, and keeps the file", async () => {
    const batch = (from: number) => Array.from({ length: 70 }, (_, n) => item(`m${from + n}`, bigText(from + n)));
    await store.persistMemories(batch(0));
    const before = await memory.read("memory/2026-03-01.md");
    const error = await store.persistMemories(batch(70)).then(
      () => assert.fail("expected a refusal"),
      (failure: unknown) => failure,
    );
    assert.ok(error instanceof MemoryFileTooLargeError);
    assert.equal(error.code, "payload_too_large");
    assert.equal(await memory.read("memory/2026-03-01.md"), before);
    assert.equal((await store.readAllMemoryFiles()).length, 70);
  });
});
