import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { parseByteRange } from "./byte-range.js";

describe("Range headers", () => {
  it("reads first-last, first- and -suffix, clamped to the file", () => {
    assert.deepEqual(parseByteRange("bytes=0-9", 100), { start: 0, end: 9 });
    assert.deepEqual(parseByteRange("bytes=90-", 100), { start: 90, end: 99 });
    assert.deepEqual(parseByteRange("bytes=90-500", 100), { start: 90, end: 99 });
    assert.deepEqual(parseByteRange("bytes=-10", 100), { start: 90, end: 99 });
    assert.deepEqual(parseByteRange("bytes=-500", 100), { start: 0, end: 99 });
  });

  it("calls a range starting past the end, or an empty suffix, unsatisfiable", () => {
    assert.equal(parseByteRange("bytes=100-", 100), "unsatisfiable");
    assert.equal(parseByteRange("bytes=-0", 100), "unsatisfiable");
  });

  it("ignores what it does not serve: no header, other units, several ranges, nonsense", () => {
    for (const header of [undefined, "items=0-1", "bytes=0-1,3-4", "bytes=5-1", "bytes=-", "bytes=a-b"]) {
      assert.equal(parseByteRange(header, 100), undefined, String(header));
    }
  });
});
