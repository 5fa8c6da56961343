import assert from "node:assert/strict";
import { describe, it } from "node:test";

import fc from "fast-check";

import { ENTRY_END_MARKER, formatMemoryDay, parseMemoryDay, sortByTime } from "./day-file.js";
import { escapeMarkerLines, unescapeMarkerLine } from "./marker-escape.js";
import type { MemoryItem } from "./memory-item.js";

const item = (id: string, text: string, createdAt = "", extra: Partial<MemoryItem> = {}): MemoryItem => ({
  id,
  text,
  hash: "",
  createdAt,
  updatedAt: "",
  ...extra,
});

describe("day files", () => {
  it("formats then parses two items given out of order (service_test.go)", () => {
    const md = formatMemoryDay("2026-03-01", [
      item("mem_2", "second record", "2026-03-01T11:15:00Z", { hash: "h2" }),
      item("mem_1", "first record", "2026-03-01T09:40:00Z", { hash: "h1" }),
    ]);
    assert.ok(md.includes("# Memory 2026-03-01"));
    const parsed = parseMemoryDay(md);
    assert.equal(parsed?.length, 2);
    assert.deepEqual(
      parsed.map((entry) => entry.id),
      ["mem_1", "mem_2"],
    );
    assert.equal(parsed[0]!.hash, "h1");
  });

  it("writes the original's exact layout: heading, marker with sorted keys, text, end marker, blank line", () => {
    const md = formatMemoryDay("2026-03-01", [
      item("b:mem_1", "a <b> & c", "2026-03-01T09:40:00Z", { hash: "h", updatedAt: "2026-03-02T00:00:00Z" }),
    ]);
    assert.equal(
      md,
      "# Memory 2026-03-01\n\n" +
        '<!-- MEMOH:ENTRY {"created_at":"2026-03-01T09:40:00Z","hash":"h","id":"b:mem_1","updated_at":"2026-03-02T00:00:00Z"} -->\n' +
        "a <b> & c\n<!-- /MEMOH:ENTRY -->\n\n",
    );
  });

  it("leaves out empty metadata, escapes <, > and & in it as Go does, and skips items without ID or text", () => {
    const md = formatMemoryDay("2026-03-01", [item("x-->y", "text"), item(" ", "no id"), item("no-text", " \n ")]);
    assert.equal(
      md,
      '# Memory 2026-03-01\n\n<!-- MEMOH:ENTRY {"id":"x--\\u003ey"} -->\ntext\n<!-- /MEMOH:ENTRY -->\n\n',
    );
    assert.deepEqual(parseMemoryDay(md), [item("x-->y", "text")]);
  });

  it("sorts by created_at, else updated_at, then by ID; unparseable times first", () => {
    const sorted = sortByTime([
      item("c", "t", "2026-03-01T10:00:00.5Z"),
      item("b", "t", "2026-03-01T10:00:00Z"),
      item("a", "t", "", { updatedAt: "2026-03-01T10:00:00Z" }),
      item("z", "t", "not a time"),
      item("d", "t", "2026-03-01T11:00:00+01:00"),
    ]);
    assert.deepEqual(
      sorted.map((entry) => entry.id),
      ["z", "a", "b", "d", "c"],
    );
  });

  it("parses as the original: bad JSON skipped, a missing end marker stops, empty entries dropped, trims", () => {
    const content = [
      "# Memory 2026-03-01",
      "<!-- MEMOH:ENTRY {not json} -->",
      "orphan",
      "<!-- /MEMOH:ENTRY -->",
      '  <!-- MEMOH:ENTRY {"id":" a ","hash":7} -->  ',
      "",
      "  body  ",
      "",
      "  <!-- /MEMOH:ENTRY -->\r",
      '<!-- MEMOH:ENTRY {"id":""} -->',
      "no id",
      "<!-- /MEMOH:ENTRY -->",
      '<!-- MEMOH:ENTRY {"id":"b"} -->',
      "never closed",
    ].join("\n");
    assert.deepEqual(parseMemoryDay(content), [item("a", "body")]);
  });

  it("is not a day file when empty or without entries", () => {
    assert.equal(parseMemoryDay(""), undefined);
    assert.equal(parseMemoryDay("# Memory 2026-03-01\n\nfree text\n"), undefined);
  });

  it("reads CRLF files", () => {
    const md = formatMemoryDay("2026-03-01", [item("a", "one\r\ntwo")]).replaceAll("\n", "\r\n");
    assert.deepEqual(parseMemoryDay(md), [item("a", "one\r\r\ntwo")]);
    const lf = formatMemoryDay("2026-03-01", [item("a", "one\r\ntwo")]);
    assert.deepEqual(parseMemoryDay(lf), [item("a", "one\r\ntwo")]);
  });
});

describe("marker escaping", () => {
  it("escapes marker-like lines, the already escaped ones included, and nothing else", () => {
    const text = [
      "<!-- /MEMOH:ENTRY -->",
      "  <!-- MEMOH:ENTRY {} -->",
      "\\<!-- /MEMOH:ENTRY -->",
      "\\\\<!-- MEMOH:anything",
      "x <!-- /MEMOH:ENTRY -->",
      "<!-- memoh:entry -->",
      "\\ <!-- MEMOH:",
    ].join("\n");
    assert.equal(
      escapeMarkerLines(text),
      [
        "\\<!-- /MEMOH:ENTRY -->",
        "  \\<!-- MEMOH:ENTRY {} -->",
        "\\\\<!-- /MEMOH:ENTRY -->",
        "\\\\\\<!-- MEMOH:anything",
        "x <!-- /MEMOH:ENTRY -->",
        "<!-- memoh:entry -->",
        "\\ <!-- MEMOH:",
      ].join("\n"),
    );
  });

  it("a memory holding the end marker and a whole fake entry round-trips (the original corrupted the file)", () => {
    const text = `before\n${ENTRY_END_MARKER}\n<!-- MEMOH:ENTRY {"id":"fake"} -->\nfake\n${ENTRY_END_MARKER}\nafter`;
    const md = formatMemoryDay("2026-03-01", [item("real", text), item("next", "second")]);
    assert.deepEqual(parseMemoryDay(md), [item("next", "second"), item("real", text)]);
  });

  it("unescape(escape(line)) is the line, for any line", () => {
    const line = fc.oneof(
      fc.string(),
      fc
        .tuple(
          fc.constantFrom("", " ", "\t", "\u3000"),
          fc.constantFrom("", "\\", "\\\\"),
          fc.constantFrom("<!-- MEMOH:", "<!-- /MEMOH:"),
          fc.string(),
        )
        .map((parts) => parts.join("")),
    );
    fc.assert(
      fc.property(line, (raw) => {
        const single = raw.replaceAll("\n", "");
        assert.equal(unescapeMarkerLine(escapeMarkerLines(single)), single);
      }),
      { numRuns: 2000 },
    );
  });
});
