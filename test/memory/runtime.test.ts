// The builtin memory runtime over a real agent: IDs, scoring,
// ordering, updates, deletes, compaction, usage, and concurrent writes.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";

import { BadRequestError, NotFoundError } from "../../packages/server/src/errors.js";
import { BuiltinMemoryRuntime, MemoryFileStore } from "../../packages/server/src/memory/index.js";
import { type MemoryAgent, startMemoryAgent } from "./memory-agent.js";

const BOT = "bot-1";

describe("BuiltinMemoryRuntime on a real agent", () => {
  let memory: MemoryAgent;
  let runtime: BuiltinMemoryRuntime;
  // A clock the tests move: one second per tick, so updated_at orders are known.
  let clock = Date.parse("2026-03-01T10:00:00Z");
  const tick = () => new Date((clock += 1000));

  before(async () => {
    memory = await startMemoryAgent();
    runtime = new BuiltinMemoryRuntime({ clients: async () => memory.client, now: tick });
  });
  beforeEach(async () => {
    await memory.reset();
  });
  after(async () => {
    await memory?.stop();
  });

  const addAll = async (...texts: string[]) => {
    const added = [];
    for (const text of texts) added.push(await runtime.add(BOT, { message: text }));
    return added;
  };

  it("adds a message with an ID, hash and RFC 3339 timestamps, stored trimmed", async () => {
    const added = await runtime.add(BOT, { message: "  Alice likes green tea\r\n  " });
    assert.match(added.id, /^bot-1:mem_\d{19}$/);
    assert.equal(added.text, "Alice likes green tea");
    assert.match(added.hash, /^[0-9a-f]{64}$/);
    assert.match(added.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(added.updatedAt, added.createdAt);
    assert.deepEqual(await runtime.getAll(BOT, 10), [added]);
  });

  it("adds messages as [ROLE] content lines, and rejects an add without text", async () => {
    const added = await runtime.add(BOT, {
      message: "   ",
      messages: [
        { role: "user", content: "hello" },
        { role: "", content: "plain" },
      ],
    });
    assert.equal(added.text, "[USER] hello\n[MESSAGE] plain");
    await assert.rejects(runtime.add(BOT, { message: " \n " }), BadRequestError);
    await assert.rejects(runtime.add(BOT, { messages: [{ role: "user", content: " " }] }), BadRequestError);
    await assert.rejects(runtime.add(BOT, {}), BadRequestError);
  });

  it("keeps every one of many concurrent adds, each with its own ID", async () => {
    const added = await Promise.all(Array.from({ length: 25 }, (_, n) => runtime.add(BOT, { message: `memory ${n}` })));
    assert.equal(new Set(added.map((entry) => entry.id)).size, 25);
    const stored = await runtime.getAll(BOT, 100);
    assert.deepEqual(stored.map((entry) => entry.text).sort(), added.map((entry) => entry.text).sort());
  });

  it("searches: whole query 1, else the share of words; no zero scores; ties by most recent update", async () => {
    const [tea, both, coffee] = await addAll(
      "Alice likes green tea",
      "tea and biscuits with green",
      "Bob drinks coffee",
    );
    const results = await runtime.search(BOT, "  Likes GREEN ", 10);
    assert.deepEqual(
      results.map((entry) => [entry.id, entry.score]),
      [
        [tea!.id, 1],
        [both!.id, 0.5],
      ],
    );
    // Both words, though not as a phrase, score 1 too; the tie goes to the later update.
    assert.deepEqual(
      (await runtime.search(BOT, "green tea", 10)).map((entry) => [entry.id, entry.score]),
      [
        [both!.id, 1],
        [tea!.id, 1],
      ],
    );
    const partial = await runtime.search(BOT, "tea water", 10);
    assert.deepEqual(
      partial.map((entry) => [entry.id, entry.score]),
      [
        [both!.id, 0.5],
        [tea!.id, 0.5],
      ],
    );
    const all = await runtime.search(BOT, "", 2);
    assert.deepEqual(
      all.map((entry) => [entry.id, entry.score]),
      [
        [coffee!.id, 1],
        [both!.id, 1],
      ],
    );
  });

  it("lists the most recently updated first, up to the limit", async () => {
    const [a, b, c] = await addAll("a", "b", "c");
    await runtime.update(BOT, a!.id, "a, edited");
    assert.deepEqual(
      (await runtime.getAll(BOT, 10)).map((entry) => entry.id),
      [a!.id, c!.id, b!.id],
    );
    assert.equal((await runtime.getAll(BOT, 2)).length, 2);
  });

  it("updates text, hash and updated_at, keeping the ID and created_at", async () => {
    const [added] = await addAll("before");
    const updated = await runtime.update(BOT, added!.id, "  after  ");
    assert.deepEqual({ ...updated, updatedAt: "", hash: "" }, { ...added!, text: "after", updatedAt: "", hash: "" });
    assert.notEqual(updated.hash, added!.hash);
    assert.ok(updated.updatedAt > added!.updatedAt);
    assert.deepEqual(await runtime.get(BOT, added!.id), updated);
    await assert.rejects(runtime.update(BOT, added!.id, "  "), BadRequestError);
    await assert.rejects(runtime.update(BOT, `${BOT}:mem_1`, "x"), NotFoundError);
  });

  it("treats another bot's memory ID as not found, for every operation", async () => {
    const [added] = await addAll("mine");
    const foreign = added!.id.replace(/^bot-1:/, "bot-2:");
    await assert.rejects(runtime.get(BOT, foreign), NotFoundError);
    await assert.rejects(runtime.get("bot-2", added!.id), NotFoundError);
    await assert.rejects(runtime.update("bot-2", added!.id, "x"), NotFoundError);
    await assert.rejects(runtime.delete("bot-2", added!.id), NotFoundError);
    assert.equal(await runtime.deleteBatch("bot-2", [added!.id]), 0);
    assert.equal((await runtime.getAll(BOT, 10)).length, 1);
  });

  it("deletes one, a batch (skipping unknown IDs), and all", async () => {
    const [a, b, c, d] = await addAll("a", "b", "c", "d");
    await runtime.delete(BOT, a!.id);
    await assert.rejects(runtime.delete(BOT, a!.id), NotFoundError);
    assert.equal(await runtime.deleteBatch(BOT, [b!.id, c!.id, `${BOT}:mem_0`, "nobody"]), 2);
    assert.deepEqual(
      (await runtime.getAll(BOT, 10)).map((entry) => entry.id),
      [d!.id],
    );
    assert.equal(await runtime.deleteAll(BOT), 1);
    assert.deepEqual(await runtime.getAll(BOT, 10), []);
    assert.equal(await memory.read("MEMORY.md"), "# MEMORY\n\n> No memory entries yet.\n");
  });

  it("compacts to the newest floor(n·ratio) by updated_at, at least one", async () => {
    const added = await addAll("1", "2", "3", "4", "5", "6", "7");
    await runtime.update(BOT, added[0]!.id, "1, touched");
    const result = await runtime.compact(BOT, 0.5);
    assert.equal(result.beforeCount, 7);
    assert.equal(result.afterCount, 3);
    assert.deepEqual(
      result.results.map((entry) => entry.text),
      ["1, touched", "7", "6"],
    );
    assert.deepEqual(
      (await runtime.getAll(BOT, 10)).map((entry) => entry.text),
      ["1, touched", "7", "6"],
    );
    assert.equal((await runtime.compact(BOT, 0.01)).afterCount, 1);
    assert.equal((await runtime.compact(BOT, 1)).afterCount, 1);
    await runtime.deleteAll(BOT);
    assert.deepEqual(await runtime.compact(BOT, 0.5), { beforeCount: 0, afterCount: 0, ratio: 0.5, results: [] });
    for (const ratio of [0, -0.5, 1.01, Number.NaN]) {
      await assert.rejects(runtime.compact(BOT, ratio), BadRequestError);
    }
  });

  it("reports usage in UTF-8 bytes of text", async () => {
    assert.deepEqual(await runtime.usage(BOT), {
      count: 0,
      totalTextBytes: 0,
      avgTextBytes: 0,
      estimatedStorageBytes: 0,
    });
    await addAll("abc", "é🧠");
    assert.deepEqual(await runtime.usage(BOT), {
      count: 2,
      totalTextBytes: 9,
      avgTextBytes: 4,
      estimatedStorageBytes: 9,
    });
  });

  it("rebuilds the manifest and overview from the files", async () => {
    await addAll("a", "b");
    await memory.reset();
    const store = new MemoryFileStore(memory.client);
    await store.persistMemories([
      { id: `${BOT}:mem_1`, text: "restored", hash: "", createdAt: "2026-03-01T00:00:00Z", updatedAt: "" },
    ]);
    await memory.client.deleteFile("index/manifest.json");
    assert.equal(await runtime.rebuild(BOT), 1);
    assert.ok((await memory.read("index/manifest.json"))!.includes(`"${BOT}:mem_1"`));
  });
});
