import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { normalizePath } from "./normalize-path.js";

describe("normalizePath", () => {
  const table: [string, string][] = [
    ["/data/test.txt", "test.txt"],
    ["/data", "."],
    ["/data/a/b.txt", "a/b.txt"],
    ["relative.txt", "relative.txt"],
    ["", ""],
    ["  /data/x  ", "x"],
    ["/data//x", "x"],
    ["/data/", "."],
    ["/database", "/database"],
    ["/etc/hosts", "/etc/hosts"],
    ["./a/../b", "./a/../b"],
  ];
  for (const [input, expected] of table) {
    it(`${JSON.stringify(input)} becomes ${JSON.stringify(expected)}`, () => {
      assert.equal(normalizePath(input), expected);
    });
  }

  it("uses the configured data folder", () => {
    assert.equal(normalizePath("/srv/bot/data/x", "/srv/bot/data/"), "x");
    assert.equal(normalizePath("/srv/bot/data", "/srv/bot/data"), ".");
    assert.equal(normalizePath("/data/x", "/srv/bot/data"), "/data/x");
  });
});
