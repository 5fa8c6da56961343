// The memory file store against a real agent process: the files it
// writes byte for byte, the manifest, moves, removals, rebuilds and the
// legacy format.
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";

import { ConflictError } from "../../packages/server/src/errors.js";
import { MemoryFileStore, type MemoryItem } from "../../packages/server/src/memory/index.js";
import { type MemoryAgent, startMemoryAgent } from "./memory-agent.js";

const NOW = new Date("2026-05-17T12:00:00Z");
const item = (id: string, text: string, createdAt: string, updatedAt = createdAt, hash = `h-${id}`): MemoryItem => ({
  id,
  text,
  hash,
  createdAt,
  updatedAt,
});

describe("MemoryFileStore on a real agent", () => {
  let memory: MemoryAgent;
  let store: MemoryFileStore;
  const manifest = async () => JSON.parse((await memory.read("index/manifest.json"))!);
  const putFile = async (relativePath: string, content: string) => {
    await mkdir(path.dirname(path.join(memory.agent.dataDir, relativePath)), { recursive: true });
    await writeFile(path.join(memory.agent.dataDir, relativePath), content);
  };

  before(async () => {
    memory = await startMemoryAgent();
    store = new MemoryFileStore(memory.client, { now: () => NOW });
  });
  beforeEach(async () => {
    await memory.reset();
  });
  after(async () => {
    await memory?.stop();
  });

  it("persists the first memory of a bot that has no files at all (the original failed here)", async () => {
    assert.deepEqual(await store.readAllMemoryFiles(), []);
    await store.persistMemories([item("b:mem_1", "  first  ", "2026-03-01T09:40:00Z")], { bot_id: "b" });
    assert.equal(
      await memory.read("memory/2026-03-01.md"),
      "# Memory 2026-03-01\n\n" +
        '<!-- MEMOH:ENTRY {"created_at":"2026-03-01T09:40:00Z","hash":"h-b:mem_1","id":"b:mem_1","updated_at":"2026-03-01T09:40:00Z"} -->\n' +
        "first\n<!-- /MEMOH:ENTRY -->\n\n",
    );
    assert.deepEqual(await manifest(), {
      version: 1,
      updated_at: "2026-05-17T12:00:00Z",
      entries: {
        "b:mem_1": {
          hash: "h-b:mem_1",
          created_at: "2026-03-01T09:40:00Z",
          updated_at: "2026-03-01T09:40:00Z",
          date: "2026-03-01",
          file_path: "/data/memory/2026-03-01.md",
          filters: { bot_id: "b" },
        },
      },
    });
    assert.equal(await memory.read("MEMORY.md"), "# MEMORY\n\n1. [2026-03-01T09:40:00Z] (b:mem_1) first\n");
  });

  it("merges into existing day files by ID, one file per date, and keeps filters when given none", async () => {
    await store.persistMemories([item("a", "one", "2026-03-01T10:00:00Z"), item("b", "two", "2026-03-02T10:00:00Z")], {
      scope: "x",
    });
    await store.persistMemories([item("a", "one, edited", "2026-03-01T10:00:00Z", "2026-03-05T00:00:00Z")]);
    await store.persistMemories([item("c", "three", "2026-03-01T08:00:00Z")], { scope: "y" });
    assert.deepEqual(await memory.memoryFiles(), ["2026-03-01.md", "2026-03-02.md"]);
    assert.deepEqual(
      (await store.readAllMemoryFiles()).map((entry) => [entry.id, entry.text]),
      [
        ["c", "three"],
        ["a", "one, edited"],
        ["b", "two"],
      ],
    );
    const entries = (await manifest()).entries;
    assert.deepEqual(entries.a.filters, { scope: "x" });
    assert.deepEqual(entries.c.filters, { scope: "y" });
  });

  it("files an item without a usable date under today", async () => {
    await store.persistMemories([item("x", "undated", "", ""), item("y", "garbage", "whenever", "")]);
    assert.deepEqual(await memory.memoryFiles(), ["2026-05-17.md"]);
  });

  it("moves an item to its new day file when its date changes, deleting the emptied old file", async () => {
    await store.persistMemories([
      item("m", "moving", "2026-03-01T10:00:00Z"),
      item("s", "stays", "2026-03-02T10:00:00Z"),
    ]);
    await store.persistMemories([item("m", "moved", "2026-03-02T09:00:00Z")]);
    assert.deepEqual(await memory.memoryFiles(), ["2026-03-02.md"]);
    assert.deepEqual(
      (await store.readAllMemoryFiles()).map((entry) => entry.id),
      ["m", "s"],
    );
    assert.equal((await manifest()).entries.m.file_path, "/data/memory/2026-03-02.md");
  });

  it("removes items from their files, deletes emptied files, and drops them from the manifest", async () => {
    await store.persistMemories([
      item("a", "a", "2026-03-01T10:00:00Z"),
      item("b", "b", "2026-03-01T11:00:00Z"),
      item("c", "c", "2026-03-02T10:00:00Z"),
    ]);
    await store.removeMemories(["a", "c", "unknown", " "]);
    assert.deepEqual(await memory.memoryFiles(), ["2026-03-01.md"]);
    assert.deepEqual(Object.keys((await manifest()).entries), ["b"]);
    assert.equal(await memory.read("MEMORY.md"), "# MEMORY\n\n1. [2026-03-01T11:00:00Z] (b) b\n");
    await store.removeMemories(["b"]);
    assert.deepEqual(await memory.memoryFiles(), []);
    assert.equal(await memory.read("MEMORY.md"), "# MEMORY\n\n> No memory entries yet.\n");
  });

  it("removes an item the manifest lost track of (a crash before the manifest was written)", async () => {
    await store.persistMemories([item("a", "a", "2026-03-01T10:00:00Z")]);
    await putFile("index/manifest.json", '{"version":1,"entries":{}}');
    await store.removeMemories(["a"]);
    assert.deepEqual(await store.readAllMemoryFiles(), []);
  });

  it("reads, updates and removes legacy one-file-per-item memories", async () => {
    await putFile(
      "memory/old:mem_1.md",
      "---\nid: old:mem_1\nhash: h1\ncreated_at: 2026-01-05T10:00:00Z\n---\n\nlegacy body\n",
    );
    await putFile("memory/notes.md", "not a memory file");
    assert.deepEqual(await store.readAllMemoryFiles(), [
      item("old:mem_1", "legacy body", "2026-01-05T10:00:00Z", "", "h1"),
    ]);
    // Persisting it again writes the day file, then removes the legacy copy.
    await store.persistMemories([item("old:mem_1", "legacy, updated", "2026-01-05T10:00:00Z", "2026-05-17T12:00:00Z")]);
    assert.deepEqual(await memory.memoryFiles(), ["2026-01-05.md", "notes.md"]);
    await putFile("memory/old:mem_2.md", "---\nid: old:mem_2\n---\nsecond");
    await store.removeMemories(["old:mem_2"]);
    assert.deepEqual(await memory.memoryFiles(), ["2026-01-05.md", "notes.md"]);
  });

  it("keeps the most recently updated copy when a crash left an item in two files", async () => {
    await putFile("memory/a-old.md", "---\nid: a\nupdated_at: 2026-03-01T00:00:00Z\n---\nstale");
    await putFile("memory/z-new.md", "---\nid: a\nupdated_at: 2026-03-02T00:00:00Z\n---\nfresh");
    assert.deepEqual(
      (await store.readAllMemoryFiles()).map((entry) => entry.text),
      ["fresh"],
    );
    await store.removeMemories(["a"]);
    assert.deepEqual(await memory.memoryFiles(), []);
  });

  it("copies a day file it cannot parse aside before replacing it", async () => {
    await putFile("memory/2026-03-01.md", "my own notes\n");
    await store.persistMemories([item("a", "a", "2026-03-01T10:00:00Z")]);
    const files = await memory.memoryFiles();
    assert.equal(files.length, 2);
    assert.match(files[1]!, /^2026-03-01\.md\.\d+\.unparsed$/);
    assert.equal(await memory.read(`memory/${files[1]}`), "my own notes\n");
  });

  it("backfills the manifest and rejects one that is not JSON", async () => {
    await putFile("index/manifest.json", '{"entries":{"a":{"hash":"h","created_at":"2026-02-03T04:05:06Z"}}}');
    const read = await store.readManifest();
    assert.deepEqual(read.entries.get("a"), {
      hash: "h",
      createdAt: "2026-02-03T04:05:06Z",
      updatedAt: "",
      date: "2026-02-03",
      filePath: "/data/memory/2026-02-03.md",
    });
    await putFile("index/manifest.json", "{broken");
    await assert.rejects(store.persistMemories([item("a", "a", "2026-03-01T10:00:00Z")]), ConflictError);
  });

  it("rebuildIndex repairs a broken manifest from the files", async () => {
    await store.persistMemories([item("a", "a", "2026-03-01T10:00:00Z")], { k: "v" });
    await putFile("memory/legacy.md", "---\nid: l\ncreated_at: 2026-03-01T00:00:00Z\n---\nl");
    await putFile("index/manifest.json", "{broken");
    assert.equal(await store.rebuildIndex(), 2);
    const entries = (await manifest()).entries;
    assert.equal(entries.a.file_path, "/data/memory/2026-03-01.md");
    assert.equal(entries.l.file_path, "/data/memory/legacy.md");
    assert.equal(entries.a.filters, undefined, "filters of an unreadable manifest are gone");
  });

  it("rebuildFiles replaces everything with the given items, new files first", async () => {
    await store.persistMemories(
      [
        item("a", "a", "2026-03-01T10:00:00Z"),
        item("b", "b", "2026-03-02T10:00:00Z"),
        item("c", "c", "2026-03-03T10:00:00Z"),
      ],
      { keep: true },
    );
    await putFile("memory/x:legacy.md", "---\nid: x:legacy\n---\nold");
    await putFile("memory/sub/deep.md", "x");
    await store.rebuildFiles([item("b", "b", "2026-03-02T10:00:00Z"), item("c", "c2", "2026-03-03T10:00:00Z")]);
    assert.deepEqual(await memory.memoryFiles(), ["2026-03-02.md", "2026-03-03.md"]);
    assert.deepEqual(
      (await store.readAllMemoryFiles()).map((entry) => entry.text),
      ["b", "c2"],
    );
    const entries = (await manifest()).entries;
    assert.deepEqual(Object.keys(entries), ["b", "c"]);
    assert.deepEqual(entries.b.filters, { keep: true });
    assert.match((await memory.read("MEMORY.md"))!, /^# MEMORY\n\n1\. \[2026-03-03T10:00:00Z\] \(c\) c2\n2\. /);
  });

  it("removeAllMemories deletes the memory folder and leaves an empty manifest and overview", async () => {
    await store.persistMemories([item("a", "a", "2026-03-01T10:00:00Z")]);
    await store.removeAllMemories();
    assert.deepEqual(await memory.memoryFiles(), []);
    assert.deepEqual((await manifest()).entries, {});
    assert.equal(await memory.read("MEMORY.md"), "# MEMORY\n\n> No memory entries yet.\n");
  });
});
