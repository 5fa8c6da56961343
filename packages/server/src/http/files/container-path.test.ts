import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { containerPath, isProtectedPath } from "./container-path.js";
import { attachmentDisposition } from "./content-headers.js";

describe("container paths", () => {
  it("are trimmed, made absolute and cleaned so .. stops at the root", () => {
    assert.equal(containerPath("  data/a.txt "), "/data/a.txt");
    assert.equal(containerPath("/data/x/../y/"), "/data/y");
    assert.equal(containerPath("../../etc/shadow"), "/etc/shadow");
    assert.equal(containerPath("/../../.."), "/");
    assert.throws(() => containerPath("/a\0b"), /NUL/);
  });

  it("protect the folders the workspace needs, not what is inside most of them", () => {
    for (const path of [
      "/",
      "/data",
      "/usr",
      "/lib",
      "/lib64",
      "/opt/botbox",
      "/run/botbox",
      "/run/botbox/agent.sock",
    ]) {
      assert.ok(isProtectedPath(path), path);
    }
    for (const path of ["/data/x", "/tmp/x", "/home/user", "/opt/other", "/data/lib"]) {
      assert.ok(!isProtectedPath(path), path);
    }
  });
});

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
