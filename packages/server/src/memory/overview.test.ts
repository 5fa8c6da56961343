import assert from "node:assert/strict";
import { describe, it } from "node:test";

import type { MemoryItem } from "./memory-item.js";
import { formatMemoryOverview, overviewText, utf8Prefix } from "./overview.js";

const item = (id: string, text: string, createdAt = ""): MemoryItem => ({
  id,
  text,
  hash: "",
  createdAt,
  updatedAt: "",
});

describe("MEMORY.md overview", () => {
  it("says so when there are no memories", () => {
    assert.equal(formatMemoryOverview([]), "# MEMORY\n\n> No memory entries yet.\n");
  });

  it("numbers items newest first, ID descending on a tie, unknown for a missing created_at", () => {
    const overview = formatMemoryOverview([
      item("a", "oldest", "2026-03-01T10:00:00Z"),
      item("c", "newest", "2026-03-03T10:00:00Z"),
      item("b1", "tie low", "2026-03-02T10:00:00Z"),
      item("b2", "tie high", "2026-03-02T10:00:00Z"),
      item("z", "no time"),
    ]);
    assert.equal(
      overview,
      "# MEMORY\n\n" +
        "1. [2026-03-03T10:00:00Z] (c) newest\n" +
        "2. [2026-03-02T10:00:00Z] (b2) tie high\n" +
        "3. [2026-03-02T10:00:00Z] (b1) tie low\n" +
        "4. [2026-03-01T10:00:00Z] (a) oldest\n" +
        "5. [unknown] (z) no time\n",
    );
  });

  it("collapses whitespace and lists at most 500 items", () => {
    const items = Array.from({ length: 501 }, (_, n) =>
      item(
        `m${String(n).padStart(3, "0")}`,
        `line one\n\n  line\ttwo ${n}`,
        `2026-03-01T10:00:00.${String(n).padStart(3, "0")}Z`,
      ),
    );
    const lines = formatMemoryOverview(items).trimEnd().split("\n").slice(2);
    assert.equal(lines.length, 500);
    assert.equal(lines[0], `1. [2026-03-01T10:00:00.500Z] (m500) line one line two 500`);
    assert.ok(lines.at(-1)!.startsWith("500. "));
    assert.ok(!lines.some((line) => line.includes("(m000)")));
  });

  it("cuts text over 400 bytes at a UTF-8 character boundary and adds ...", () => {
    assert.equal(overviewText("x".repeat(400)), "x".repeat(400));
    assert.equal(overviewText("x".repeat(401)), `${"x".repeat(400)}...`);
    // 399 ASCII bytes then a 3-byte character: it does not fit, so the cut is before it.
    assert.equal(overviewText(`${"x".repeat(399)}漢字`), `${"x".repeat(399)}...`);
    // A space at the cut is trimmed before the "...".
    assert.equal(overviewText(`${"x".repeat(399)} yz`), `${"x".repeat(399)}...`);
    assert.equal(utf8Prefix("a🧠b", 4), "a");
    assert.equal(utf8Prefix("a🧠b", 5), "a🧠");
  });
});
