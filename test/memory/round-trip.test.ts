// Round-trip properties: whatever memories go in come back identical (IDs,
// texts, hash, timestamps), through the pure day format and through the file
// store against a real agent.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import fc from "fast-check";

import { sortByTime } from "../../packages/server/src/memory/day-file.js";
import {
  formatMemoryDay,
  MemoryFileStore,
  type MemoryItem,
  parseMemoryDay,
} from "../../packages/server/src/memory/index.js";
import { memoryListArbitrary } from "./arbitraries.js";
import { type MemoryAgent, startMemoryAgent } from "./memory-agent.js";

const byId = (items: MemoryItem[]) => new Map(items.map((item) => [item.id, item]));

describe("memory round trip (property)", () => {
  it("one day file: format then parse gives back every memory", () => {
    fc.assert(
      fc.property(memoryListArbitrary(10), (items) => {
        const parsed = parseMemoryDay(formatMemoryDay("2026-03-01", items)) ?? [];
        assert.deepEqual(byId(parsed), byId(items));
      }),
      { numRuns: 1500 },
    );
  });

  describe("the file store on a real agent", () => {
    let memory: MemoryAgent;

    before(async () => {
      memory = await startMemoryAgent();
    });
    after(async () => {
      await memory?.stop();
    });

    it("persisted in one or more batches, every memory reads back identical, oldest first", async () => {
      const store = new MemoryFileStore(memory.client);
      const batches = memoryListArbitrary(6).chain((items) =>
        fc.array(fc.nat({ max: 2 }), { minLength: items.length, maxLength: items.length }).map((batchOf) => ({
          items,
          batches: [0, 1, 2].map((batch) => items.filter((_, index) => batchOf[index] === batch)),
        })),
      );
      await fc.assert(
        fc.asyncProperty(batches, async ({ items, batches }) => {
          await memory.reset();
          for (const batch of batches) await store.persistMemories(batch);
          const read = await store.readAllMemoryFiles();
          assert.deepEqual(byId(read), byId(items));
          assert.deepEqual(
            read.map((item) => item.id),
            sortByTime(items).map((item) => item.id),
          );
          const overview = (await memory.read("MEMORY.md")) ?? "";
          assert.equal(overview.split("\n").filter((line) => /^\d+\. /.test(line)).length, items.length);
        }),
        { numRuns: 60 },
      );
    });
  });
});
