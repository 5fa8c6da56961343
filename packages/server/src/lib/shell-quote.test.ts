import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";

import { shellQuote } from "./shell-quote.js";

describe("shellQuote", () => {
  const cases: [string, string][] = [
    ["", "''"],
    ["plain", "'plain'"],
    ["it's", `'it'\\''s'`],
    ["'", `''\\'''`],
    ['a b\n$HOME `x` \\ "q"', `'a b\n$HOME \`x\` \\ "q"'`],
  ];
  for (const [input, expected] of cases) {
    it(`quotes ${JSON.stringify(input)}`, () => assert.equal(shellQuote(input), expected));
  }

  it("gives sh back the exact string", () => {
    for (const [input] of cases) {
      const echoed = execFileSync("/bin/sh", ["-c", `printf '%s' ${shellQuote(input)}`], { encoding: "utf8" });
      assert.equal(echoed, input);
    }
  });
});
