import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { countLines, headOf, PRUNE_LIMITS, pruneToolOutput, tailOf, utf8Prefix, utf8Suffix } from "./prune.js";

const LABEL = "tool result (exec stdout)";

describe("pruneToolOutput", () => {
  it("leaves output of exactly 10 KiB alone and prunes one byte more", () => {
    const exact = "x".repeat(PRUNE_LIMITS.maxBytes);
    assert.equal(pruneToolOutput(exact, LABEL), exact);
    const over = exact + "x";
    const pruned = pruneToolOutput(over, LABEL);
    assert.equal(
      pruned,
      `[memoh pruned] ${LABEL} too long (bytes=10241, lines=1), showing head/tail\n\n` +
        `${"x".repeat(4096)}\n\n[...snip...]\n\n${"x".repeat(1024)}`,
    );
  });

  it("leaves 250 lines alone and prunes 251", () => {
    const lines = (count: number) => Array.from({ length: count }, (_, index) => `${index + 1}`).join("\n");
    assert.equal(pruneToolOutput(lines(250), LABEL), lines(250));
    const pruned = pruneToolOutput(lines(251), LABEL);
    const bytes = Buffer.byteLength(lines(251));
    const head = Array.from({ length: 150 }, (_, index) => `${index + 1}`).join("\n");
    const tail = Array.from({ length: 50 }, (_, index) => `${index + 202}`).join("\n");
    assert.equal(
      pruned,
      `[memoh pruned] ${LABEL} too long (bytes=${bytes}, lines=251), showing head/tail\n\n${head}\n\n[...snip...]\n\n${tail}`,
    );
  });

  it("counts a trailing newline as starting one more line", () => {
    assert.equal(countLines(""), 1);
    assert.equal(countLines("a\n"), 2);
    const text = "a\n".repeat(250);
    assert.equal(countLines(text), 251);
    const pruned = pruneToolOutput(text, LABEL);
    assert.ok(pruned.startsWith(`[memoh pruned] ${LABEL} too long (bytes=500, lines=251)`));
    // The tail holds the last 50 lines: 49 "a" lines and the empty one after the last newline.
    assert.ok(pruned.endsWith(`[...snip...]\n\n${"a\n".repeat(49)}`));
  });

  it("never splits a multi-byte character", () => {
    for (const char of ["\u00e9", "\u20ac", "\u{1f600}"]) {
      const text = char.repeat(6000);
      const pruned = pruneToolOutput(text, LABEL);
      assert.ok(!pruned.includes("\ufffd"), `no replacement character for ${char}`);
      const [head, tail] = pruned.slice(pruned.indexOf("\n\n") + 2).split("\n\n[...snip...]\n\n");
      assert.ok(head !== undefined && tail !== undefined);
      const size = Buffer.byteLength(char);
      assert.equal(Buffer.byteLength(head), Math.floor(4096 / size) * size);
      assert.equal(Buffer.byteLength(tail), Math.floor(1024 / size) * size);
      assert.equal(head, char.repeat(Math.floor(4096 / size)));
    }
  });

  it("keeps the pruned result within the limits", () => {
    const text = `${"y".repeat(300)}\n`.repeat(1000);
    const pruned = pruneToolOutput(text, LABEL);
    assert.ok(Buffer.byteLength(pruned) <= PRUNE_LIMITS.maxBytes);
    assert.ok(countLines(pruned) <= PRUNE_LIMITS.maxLines);
  });
});

describe("head and tail cuts", () => {
  it("cut by lines first, then by bytes", () => {
    assert.equal(headOf("a\nb\nc", 2, 100), "a\nb");
    assert.equal(headOf("a\nb\nc", 5, 100), "a\nb\nc");
    assert.equal(tailOf("a\nb\nc", 2, 100), "b\nc");
    assert.equal(tailOf("\nabc", 5, 100), "\nabc");
    assert.equal(tailOf("a\nb\n", 1, 100), "");
    assert.equal(headOf("abcdef", 5, 3), "abc");
    assert.equal(tailOf("abcdef", 5, 3), "def");
  });

  it("back off to character boundaries", () => {
    assert.equal(utf8Prefix("a\u20ac", 3), "a");
    assert.equal(utf8Prefix("a\u20ac", 4), "a\u20ac");
    assert.equal(utf8Suffix("\u20acb", 3), "b");
    assert.equal(utf8Suffix("\u{1f600}", 3), "");
  });
});
