import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";

import fc from "fast-check";

import { type LogRead, OutputLogCursor, OutputLogWriter } from "./output-log.js";
import { OutputRing } from "./output-ring.js";

const folders: string[] = [];
const freshFolder = () => {
  const folder = mkdtempSync(path.join(tmpdir(), "botbox-output-log-"));
  folders.push(folder);
  return folder;
};
after(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

/** Everything a reader gets from `offset` to the end, as (stream, byte) runs and dropped ranges. */
function readAll(read: () => LogRead): { bytes: Buffer; streams: number[]; dropped: [number, number][] } {
  const pieces: Buffer[] = [];
  const streams: number[] = [];
  const dropped: [number, number][] = [];
  for (;;) {
    const piece = read();
    if (piece.kind === "end") break;
    if (piece.kind === "dropped") dropped.push([piece.from, piece.to]);
    else {
      pieces.push(piece.data);
      for (let index = 0; index < piece.data.length; index++) streams.push(piece.stream);
    }
  }
  return { bytes: Buffer.concat(pieces), streams, dropped };
}

const appends = fc.array(
  fc.record({
    stream: fc.constantFrom(1, 2),
    size: fc.integer({ min: 1, max: 40_000 }),
    seed: fc.integer({ min: 0, max: 255 }),
  }),
  { minLength: 1, maxLength: 40 },
);

describe("output log", () => {
  it("keeps at most the limit, drops whole oldest segments, and reads back exactly the kept bytes from any offset", () => {
    fc.assert(
      fc.property(appends, fc.double({ min: 0, max: 1, noNaN: true }), (writes, where) => {
        const dir = freshFolder();
        const limit = 64 * 1024;
        const writer = new OutputLogWriter(dir, limit);
        const all: Buffer[] = [];
        const allStreams: number[] = [];
        for (const { stream, size, seed } of writes) {
          const data = Buffer.alloc(size, seed);
          writer.append(stream, data);
          all.push(data);
          for (let index = 0; index < size; index++) allStreams.push(stream);
        }
        writer.close();
        const everything = Buffer.concat(all);
        assert.equal(writer.total, everything.length);
        assert.ok(writer.total - writer.dropped <= limit, "no more than the limit is kept");
        const offset = Math.floor(where * writer.total);
        const cursor = new OutputLogCursor(dir, offset);
        const read = readAll(() => cursor.read());
        cursor.close();
        const from = Math.max(offset, writer.dropped);
        assert.deepEqual(read.dropped, offset < writer.dropped ? [[offset, writer.dropped]] : []);
        assert.ok(read.bytes.equals(everything.subarray(from)), "the bytes from the offset, exactly");
        assert.deepEqual(read.streams, allStreams.slice(from), "each byte keeps its stream");
        rmSync(dir, { recursive: true, force: true });
      }),
      { numRuns: 25 },
    );
  });

  it("joins adjacent small records of one stream into one chunk", () => {
    const dir = freshFolder();
    const writer = new OutputLogWriter(dir, 1024 * 1024);
    for (let line = 0; line < 1000; line++) writer.append(1, Buffer.from(`line ${line}\n`));
    writer.append(2, Buffer.from("err\n"));
    const cursor = new OutputLogCursor(dir, 0);
    const first = cursor.read();
    assert.equal(first.kind === "output" && first.data.toString().split("\n").length - 1, 1000);
    const second = cursor.read();
    assert.deepEqual(second.kind === "output" && [second.stream, second.data.toString()], [2, "err\n"]);
    assert.equal(cursor.read().kind, "end");
    cursor.close();
    writer.close();
  });

  it("reads what a writer appends after the reader reached the end", () => {
    const dir = freshFolder();
    const writer = new OutputLogWriter(dir, 64 * 1024);
    writer.append(1, Buffer.from("a"));
    const cursor = new OutputLogCursor(dir, 0);
    assert.equal(readAll(() => cursor.read()).bytes.toString(), "a");
    // Past a segment boundary too: the cursor moves on to the new segment.
    writer.append(1, Buffer.alloc(20_000, "b"));
    assert.equal(readAll(() => cursor.read()).bytes.length, 20_000);
    assert.ok(readdirSync(dir).length > 1);
    cursor.close();
    writer.close();
  });
});

describe("output ring", () => {
  it("holds the newest records up to its capacity and reads from any offset it holds", () => {
    const ring = new OutputRing(100);
    let offset = 0;
    for (let index = 0; index < 50; index++) {
      ring.push(offset, index % 3 === 0 ? 2 : 1, Buffer.from(`${index}`.padStart(10, "-")));
      offset += 10;
    }
    assert.ok(!ring.holds(0));
    assert.ok(ring.holds(offset - 100));
    assert.ok(!ring.holds(offset));
    const piece = ring.read(offset - 5, 64);
    assert.deepEqual(piece.kind === "output" && [piece.offset, piece.data.toString()], [offset - 5, "---49"]);
  });
});
