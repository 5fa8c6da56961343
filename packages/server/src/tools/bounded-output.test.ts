import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { BoundedOutput, KEEP_HEAD_BYTES, KEEP_TAIL_BYTES } from "./bounded-output.js";
import { pruneToolOutput } from "./prune.js";

const LABEL = "tool result (exec stdout)";

/** Feeds bytes in chunks of varied sizes, as a stream would deliver them. */
function feed(bytes: Buffer, sizes: number[]): BoundedOutput {
  const output = new BoundedOutput();
  let offset = 0;
  for (let index = 0; offset < bytes.length; index++) {
    const size = sizes[index % sizes.length]!;
    output.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return output;
}

describe("BoundedOutput", () => {
  const samples: [string, string][] = [
    ["empty", ""],
    ["short", "hello\nworld\n"],
    ["just under the head", "x".repeat(KEEP_HEAD_BYTES - 1)],
    ["exactly the head", "y\n".repeat(KEEP_HEAD_BYTES / 2)],
    ["one byte over the head", "z".repeat(KEEP_HEAD_BYTES + 1)],
    ["many short lines", Array.from({ length: 50_000 }, (_, i) => `line ${i}`).join("\n")],
    ["multi-byte characters", "é€😀 ünïcödé\n".repeat(20_000)],
    ["long single line", "ab€".repeat(200_000)],
    ["head and tail overlap a little", "q".repeat(KEEP_HEAD_BYTES + KEEP_TAIL_BYTES - 3) + "\nend"],
  ];
  for (const [name, text] of samples) {
    it(`prunes ${name} exactly like the whole text`, () => {
      const bytes = Buffer.from(text);
      const expected = pruneToolOutput(text, LABEL);
      for (const sizes of [[1 << 20], [1, 7, 4096, 65_537], [3], [100_000, 13]]) {
        if (sizes[0] === 1 && bytes.length > 300_000) continue;
        const output = feed(bytes, sizes);
        assert.equal(output.bytes, bytes.length);
        assert.equal(output.pruned(LABEL), expected, `${name} with chunks ${sizes.join(",")}`);
      }
    });
  }

  it("keeps only the head and a bounded tail", () => {
    const output = new BoundedOutput();
    const chunk = Buffer.alloc(10_000, "a");
    chunk[chunk.length - 1] = 10;
    for (let i = 0; i < 1000; i++) output.push(chunk);
    assert.equal(output.complete, false);
    assert.equal(output.head().length, KEEP_HEAD_BYTES);
    assert.equal(output.tail().length, KEEP_TAIL_BYTES);
    assert.equal(output.bytes, 10_000_000);
    assert.equal(output.newlines, 1000);
    assert.match(
      output.pruned(LABEL),
      /^\[memoh pruned\] tool result \(exec stdout\) too long \(bytes=10000000, lines=1001\)/,
    );
  });

  it("gives what it kept as text: whole while nothing was dropped, else head, marker and tail", () => {
    const marker = (dropped: number) => `<${dropped} cut>`;
    for (const text of ["", "short", "h".repeat(10) + "t".repeat(10)]) {
      const output = feed(Buffer.from(text), [3]);
      assert.equal(output.droppedBytes, 0);
      assert.equal(output.keptText(marker), text);
    }
    const output = new BoundedOutput(10, 10);
    // Characters of two and three bytes, split by both cuts.
    const text = "é".repeat(20) + "€".repeat(20);
    for (let offset = 0; offset < Buffer.byteLength(text); offset += 7) {
      output.push(Buffer.from(text).subarray(offset, offset + 7));
    }
    assert.equal(output.droppedBytes, 100 - 20);
    assert.equal(output.keptText(marker), `${"é".repeat(5)}<80 cut>${"€".repeat(3)}`);
  });
});
