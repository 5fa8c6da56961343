import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { attachmentDisposition } from "./content-headers.js";

describe("Content-Disposition", () => {
  it("quotes a plain name and adds RFC 5987 filename* for anything else", () => {
    assert.equal(attachmentDisposition("a b.txt"), 'attachment; filename="a b.txt"');
    assert.equal(
      attachmentDisposition("日本.txt"),
      `attachment; filename="__.txt"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt`,
    );
    assert.equal(attachmentDisposition('q"\\.txt'), `attachment; filename="q__.txt"; filename*=UTF-8''q%22%5C.txt`);
  });
});
