import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { imageRefFor, normalizeImageRef } from "./image-ref.js";

describe("normalizeImageRef", () => {
  const cases: [string, string][] = [
    ["alpine", "docker.io/library/alpine"],
    ["alpine:3.20", "docker.io/library/alpine:3.20"],
    ["memohai/mcp:latest", "docker.io/memohai/mcp:latest"],
    ["ghcr.io/x/y", "ghcr.io/x/y"],
    ["localhost/x", "localhost/x"],
    ["registry:5000/team/app", "registry:5000/team/app"],
  ];
  for (const [input, expected] of cases) {
    it(`${input} becomes ${expected}`, () => assert.equal(normalizeImageRef(input), expected));
  }

  it("uses a registry mirror prefix verbatim", () => {
    assert.equal(imageRefFor("memohai/mcp:latest", "memoh.cn"), "memoh.cn/memohai/mcp:latest");
    assert.equal(imageRefFor("memohai/mcp:latest", "memoh.cn/"), "memoh.cn/memohai/mcp:latest");
    assert.equal(imageRefFor("memohai/mcp:latest", ""), "docker.io/memohai/mcp:latest");
  });
});
