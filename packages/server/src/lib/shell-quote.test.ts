import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";

import { shellQuote, shellWord } from "./shell-quote.js";

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

describe("shellWord", () => {
  it("leaves plain words bare", () => {
    for (const word of ["node", "/usr/bin/node", "@scope/pkg@1.2.3", "a-b_c.d", "host:8080", "50%", "a,b+c"]) {
      assert.equal(shellWord(word), word);
    }
  });

  it("quotes everything else, including #, ~ and = which the original left bare", () => {
    assert.equal(shellWord(""), "''");
    assert.equal(shellWord("#x"), "'#x'");
    assert.equal(shellWord("~"), "'~'");
    assert.equal(shellWord("K=V"), "'K=V'");
    assert.equal(shellWord("it's"), `'it'\\''s'`);
  });

  it("makes sh see every word exactly as given", () => {
    const words = [
      "two words",
      "#c",
      "~",
      "~/x",
      "K=V",
      "$HOME",
      "it's",
      '"q"',
      "",
      "a;b|c&d",
      "`id`",
      "*",
      "\\n",
      "é",
    ];
    const script = `printf '%s\\0' ${words.map(shellWord).join(" ")}`;
    const printed = execFileSync("sh", ["-c", script], { encoding: "utf8" });
    assert.deepEqual(printed.split("\0").slice(0, -1), words);
  });
});
