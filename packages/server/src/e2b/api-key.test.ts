import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { e2bKeyFor, tokenFromE2bKey } from "./api-key.js";

describe("E2B API keys", () => {
  it("carry a botbox token in E2B's key shape and give it back whole", () => {
    for (const token of ["bbx_admin_0123abcd", "bbx_AZaz09-_", "tok with spaces ü"]) {
      const key = e2bKeyFor(token);
      assert.match(key, /^e2b_[0-9a-f]+$/);
      assert.equal(tokenFromE2bKey(key), token);
    }
  });

  it("take a raw botbox token as it is, and an odd-length or non-hex e2b_ key as it is", () => {
    assert.equal(tokenFromE2bKey("bbx_admin_0123"), "bbx_admin_0123");
    assert.equal(tokenFromE2bKey("e2b_abc"), "e2b_abc");
    assert.equal(tokenFromE2bKey("e2b_zz"), "e2b_zz");
  });
});
