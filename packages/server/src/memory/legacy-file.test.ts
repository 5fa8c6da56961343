import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { parseLegacyMemory } from "./legacy-file.js";

describe("legacy one-file-per-item memories", () => {
  it("reads id, hash, timestamps and body from the frontmatter (service_test.go)", () => {
    const content = [
      "---",
      "id: mem_legacy",
      "hash: abc123",
      "created_at: 2026-02-01T10:00:00Z",
      "updated_at: 2026-02-02T10:00:00Z",
      "---",
      "",
      "Legacy body line.",
      "",
    ].join("\n");
    assert.deepEqual(parseLegacyMemory(content), {
      id: "mem_legacy",
      text: "Legacy body line.",
      hash: "abc123",
      createdAt: "2026-02-01T10:00:00Z",
      updatedAt: "2026-02-02T10:00:00Z",
    });
  });

  it("unquotes quoted values, ignores unknown keys, and ends the block only at a --- line", () => {
    const content = "---\nid: \"bot:mem_1\"\ntitle: a --- b\nhash: 'h'\n---\nbody\n---\nmore";
    assert.deepEqual(parseLegacyMemory(content), {
      id: "bot:mem_1",
      text: "body\n---\nmore",
      hash: "h",
      createdAt: "",
      updatedAt: "",
    });
  });

  it("is not a legacy file without frontmatter, without its end, or without an id", () => {
    assert.equal(parseLegacyMemory("just text"), undefined);
    assert.equal(parseLegacyMemory("---\nid: x\nno end"), undefined);
    assert.equal(parseLegacyMemory("---\nhash: h\n---\nbody"), undefined);
    assert.equal(parseLegacyMemory("---\nconstructor: x\n---\nbody"), undefined);
  });
});
