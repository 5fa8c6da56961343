import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";

import { buildServerCommand, quoteShellWord } from "./shell-command.js";

describe("quoteShellWord", () => {
  it("leaves plain words bare", () => {
    for (const word of ["node", "/usr/bin/node", "@scope/pkg@1.2.3", "a-b_c.d", "host:8080", "50%", "a,b+c"]) {
      assert.equal(quoteShellWord(word), word);
    }
  });

  it("quotes everything else, including #, ~ and = which the original left bare (spec 6.1)", () => {
    assert.equal(quoteShellWord(""), "''");
    assert.equal(quoteShellWord("#x"), "'#x'");
    assert.equal(quoteShellWord("~"), "'~'");
    assert.equal(quoteShellWord("K=V"), "'K=V'");
    assert.equal(quoteShellWord("it's"), `'it'\\''s'`);
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
    const script = `printf '%s\\0' ${words.map(quoteShellWord).join(" ")}`;
    const printed = execFileSync("sh", ["-c", script], { encoding: "utf8" });
    assert.deepEqual(printed.split("\0").slice(0, -1), words);
  });
});

describe("buildServerCommand", () => {
  it("execs the quoted command and args", () => {
    assert.equal(
      buildServerCommand("npx", ["-y", "@mcp/server", "dir with space"]),
      "exec npx -y @mcp/server 'dir with space'",
    );
    assert.equal(buildServerCommand("node"), "exec node");
  });
});
