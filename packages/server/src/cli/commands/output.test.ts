import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { oneLine, table } from "./output.js";

describe("the CLI's tables", () => {
  it("keep a multi-line cell on its row, its control characters escaped", () => {
    const printed = table([
      ["ID", "COMMAND"],
      ["p1", "for i in 1 2; do\n\techo $i\ndone"],
      ["p2", "printf '\u001b[2J'"],
    ]);
    assert.deepEqual(printed.split("\n"), [
      "ID  COMMAND",
      "p1  for i in 1 2; do\\n\\techo $i\\ndone",
      "p2  printf '\\u001b[2J'",
    ]);
  });

  it("leave printable text, wide or not, as it is", () => {
    assert.equal(oneLine("héllo wörld → ✓"), "héllo wörld → ✓");
  });
});
