import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { globToRegExp } from "./glob.js";

describe("name globs", () => {
  const matches = (pattern: string, name: string) => globToRegExp(pattern).test(name);

  it("* matches any run of characters, ? exactly one", () => {
    assert.ok(matches("*.md", "readme.md"));
    assert.ok(matches("*.md", ".md"));
    assert.ok(!matches("*.md", "readme.mdx"));
    assert.ok(matches("a?c", "abc"));
    assert.ok(matches("a?c", "aéc"));
    assert.ok(!matches("a?c", "ac"));
  });

  it("classes take ranges and ! or ^ negation; a leading ] is a member", () => {
    assert.ok(matches("f[0-9]", "f7"));
    assert.ok(!matches("f[0-9]", "fx"));
    assert.ok(matches("f[!0-9]", "fx"));
    assert.ok(matches("f[^0-9]", "fx"));
    assert.ok(matches("[]a]", "]"));
    assert.ok(matches("[ab-]", "-"));
  });

  it("treats regular expression characters and an unclosed [ literally, and \\ quotes", () => {
    assert.ok(matches("a.b+(c)", "a.b+(c)"));
    assert.ok(!matches("a.b", "axb"));
    assert.ok(matches("[abc", "[abc"));
    assert.ok(matches("\\*", "*"));
    assert.ok(!matches("\\*", "x"));
  });

  it("refuses a pattern with / or an invalid class", () => {
    assert.throws(() => globToRegExp("a/b"), /cannot contain '\/'/);
    assert.throws(() => globToRegExp("[z-a]"), /not a valid glob/);
  });
});
