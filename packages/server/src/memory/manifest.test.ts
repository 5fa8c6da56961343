import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ConflictError } from "../errors.js";
import { emptyManifest, formatManifest, fromManifestPath, legacyFilePath, parseManifest } from "./manifest.js";

const NOW = new Date("2026-05-17T12:00:00Z");

describe("index/manifest.json", () => {
  it("backfills a missing date from created_at (else today) and a missing file_path from the date", () => {
    const manifest = parseManifest(
      JSON.stringify({
        version: 1,
        updated_at: "2026-03-01T00:00:00Z",
        entries: {
          a: { hash: "h", created_at: "2026-03-01T23:00:00-02:00" },
          b: { hash: "h", created_at: "" },
          c: { hash: "h", created_at: "2026-01-01T00:00:00Z", date: "2025-12-31", file_path: "/data/memory/c.md" },
        },
      }),
      NOW,
    );
    assert.deepEqual(manifest.entries.get("a"), {
      hash: "h",
      createdAt: "2026-03-01T23:00:00-02:00",
      updatedAt: "",
      date: "2026-03-02",
      filePath: "/data/memory/2026-03-02.md",
    });
    assert.equal(manifest.entries.get("b")?.date, "2026-05-17");
    assert.equal(manifest.entries.get("c")?.filePath, "/data/memory/c.md");
  });

  it("keeps an entry whose ID is __proto__ as data", () => {
    const manifest = parseManifest('{"entries":{"__proto__":{"hash":"p","created_at":"2026-02-02"}}}', NOW);
    assert.equal(manifest.version, 1);
    assert.equal(manifest.entries.get("__proto__")?.date, "2026-02-02");
    assert.match(formatManifest(manifest, NOW), /"__proto__": \{/);
  });

  it("reports invalid JSON as 'parse manifest'", () => {
    assert.throws(
      () => parseManifest("{", NOW),
      (error: unknown) => {
        assert.ok(error instanceof ConflictError);
        assert.match(error.message, /^parse manifest index\/manifest\.json: /);
        return true;
      },
    );
    assert.throws(() => parseManifest("[]", NOW), ConflictError);
  });

  it("writes 2-space JSON in Go's field order, IDs and filter keys sorted, empty optionals left out", () => {
    const manifest = emptyManifest();
    manifest.entries.set("b<1>", {
      hash: "h",
      createdAt: "2026-03-01T00:00:00Z",
      updatedAt: "",
      date: "2026-03-01",
      filePath: "/data/memory/2026-03-01.md",
      filters: { z: 1, a: { y: true, b: null } },
    });
    manifest.entries.set("a", { hash: "", createdAt: "", updatedAt: "u", date: "", filePath: "" });
    assert.equal(
      formatManifest(manifest, NOW),
      `{
  "version": 1,
  "updated_at": "2026-05-17T12:00:00Z",
  "entries": {
    "a": {
      "hash": "",
      "created_at": "",
      "updated_at": "u"
    },
    "b\\u003c1\\u003e": {
      "hash": "h",
      "created_at": "2026-03-01T00:00:00Z",
      "date": "2026-03-01",
      "file_path": "/data/memory/2026-03-01.md",
      "filters": {
        "a": {
          "b": null,
          "y": true
        },
        "z": 1
      }
    }
  }
}`,
    );
    assert.deepEqual(parseManifest(formatManifest(manifest, NOW), NOW).entries.get("b<1>")?.filters, {
      a: { b: null, y: true },
      z: 1,
    });
  });

  it("only lets file_path name a Markdown file directly in the memory folder", () => {
    assert.equal(fromManifestPath("/data/memory/2026-03-01.md"), "memory/2026-03-01.md");
    assert.equal(fromManifestPath("memory/x.md"), "memory/x.md");
    assert.equal(fromManifestPath("/data/memory/../../etc/passwd.md"), undefined);
    assert.equal(fromManifestPath("/etc/memory/x.md"), undefined);
    assert.equal(fromManifestPath("/data/memory/x.txt"), undefined);
    assert.equal(legacyFilePath("bot:mem_1"), "memory/bot:mem_1.md");
    assert.equal(legacyFilePath("a/../../b"), undefined);
  });
});
