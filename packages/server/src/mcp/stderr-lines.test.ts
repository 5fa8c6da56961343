import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { StderrLines } from "./stderr-lines.js";

function collect(options?: ConstructorParameters<typeof StderrLines>[1]) {
  const lines: string[] = [];
  return { lines, stderr: new StderrLines((line) => lines.push(line), options) };
}

describe("StderrLines", () => {
  it("emits each non-empty line once, across chunk boundaries, without CR", () => {
    const { lines, stderr } = collect();
    stderr.push(Buffer.from("first li"));
    stderr.push(Buffer.from("ne\r\n\n   \nsecond\nthi"));
    assert.deepEqual(lines, ["first line", "second"]);
    stderr.flush();
    assert.deepEqual(lines, ["first line", "second", "thi"]);
  });

  it("keeps a multi-byte character split between chunks whole", () => {
    const { lines, stderr } = collect();
    const bytes = Buffer.from("héllo\n");
    stderr.push(bytes.subarray(0, 2));
    stderr.push(bytes.subarray(2));
    assert.deepEqual(lines, ["héllo"]);
  });

  it("cuts long lines and skips the rest of one that never ends", () => {
    const { lines, stderr } = collect({ maxLineLength: 5 });
    stderr.push(Buffer.from("abcdefgh\n"));
    stderr.push(Buffer.from("x".repeat(20)));
    stderr.push(Buffer.from("y".repeat(20)));
    stderr.push(Buffer.from("zz\nnext\n"));
    assert.deepEqual(lines, ["abcde…", "xxxxx…", "next"]);
  });

  it("keeps only the last lines for error messages", () => {
    const { stderr } = collect({ tailLines: 2 });
    stderr.push(Buffer.from("one\ntwo\nthree\n"));
    assert.deepEqual(stderr.tail, ["two", "three"]);
  });
});
