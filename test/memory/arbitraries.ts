// fast-check generators for memories: texts the API accepts (trimmed,
// non-empty, well-formed Unicode) built to hit the day format's edges.
import fc from "fast-check";

import type { MemoryItem } from "../../packages/server/src/memory/index.js";

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Go's TrimSpace set, so generated texts are exactly what the runtime would store. */
const SPACE =
  /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

/** Lines a memory text could contain that matter to the day format. */
const trickyLine = fc.oneof(
  fc.constantFrom(
    "<!-- /MEMOH:ENTRY -->",
    '<!-- MEMOH:ENTRY {"id":"fake"} -->',
    "  <!-- /MEMOH:ENTRY -->  ",
    "\\<!-- /MEMOH:ENTRY -->",
    "\\\\<!-- MEMOH:ENTRY {} -->",
    " \\<!-- MEMOH:x",
    "<!-- MEMOH:ENTRY -->",
    "---",
    "--- id: x ---",
    "# Memory 2026-03-01",
    "# MEMORY",
    "## heading",
    "> quote",
    "",
    "   ",
    "\t",
    "\r",
    "\u2028",
    "\u0085",
    "\ufeff<!-- /MEMOH:ENTRY -->",
    "é 漢字 🧠 👩‍👩‍👧",
  ),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.nat({ max: 3000 }).map((length) => "x".repeat(length)),
);

/** A text the API accepts: lines joined by LF or CRLF, trimmed, non-empty, no lone surrogates. */
export function memoryTextArbitrary(): fc.Arbitrary<string> {
  return fc
    .tuple(fc.array(trickyLine, { minLength: 1, maxLength: 8 }), fc.constantFrom("\n", "\r\n"))
    .map(([lines, newline]) => lines.join(newline).replace(LONE_SURROGATE, "\ufffd").replace(SPACE, ""))
    .filter((text) => text !== "");
}

export function rfc3339Arbitrary(): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true }),
      fc.boolean(),
    )
    .map(([date, fraction]) => (fraction ? date.toISOString() : date.toISOString().replace(/\.\d+Z$/, "Z")));
}

/** Distinct memories: runtime-style IDs mostly, arbitrary trimmed ones sometimes; any timestamps. */
export function memoryListArbitrary(maxLength: number): fc.Arbitrary<MemoryItem[]> {
  return fc.uniqueArray(
    fc
      .record({
        id: fc.oneof(
          { weight: 3, arbitrary: fc.nat().map((n) => `bot-1:mem_${n}`) },
          {
            weight: 1,
            arbitrary: fc
              .string({ unit: "grapheme", minLength: 1, maxLength: 20 })
              .map((id) => id.replace(SPACE, "").replaceAll("/", "_"))
              .filter((id) => id !== ""),
          },
        ),
        text: memoryTextArbitrary(),
        hash: fc.oneof(fc.constant(""), fc.stringMatching(/^[0-9a-f]{64}$/)),
        createdAt: fc.oneof({ weight: 4, arbitrary: rfc3339Arbitrary() }, fc.constant(""), fc.constant("garbage")),
        updatedAt: fc.oneof(rfc3339Arbitrary(), fc.constant("")),
      })
      .map((item): MemoryItem => ({ ...item })), // fc.record makes null-prototype objects
    { selector: (item) => item.id, maxLength },
  );
}
