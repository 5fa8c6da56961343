import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { containerPath, isProtectedPath } from "./container-path.js";

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
