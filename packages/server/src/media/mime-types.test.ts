import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { extensionFor, mimeForPath, normalizeMime } from "./mime-types.js";

describe("media types and extensions", () => {
  it("maps common mimes to their extensions", () => {
    assert.equal(extensionFor("image/png"), ".png");
    assert.equal(extensionFor("image/jpeg"), ".jpg");
    assert.equal(extensionFor("audio/mpeg"), ".mp3");
    assert.equal(extensionFor("application/pdf"), ".pdf");
    assert.equal(extensionFor("text/plain; charset=utf-8"), ".txt");
    assert.equal(extensionFor("IMAGE/WEBP"), ".webp");
  });

  it("keeps the original extension when the mime maps to .bin", () => {
    assert.equal(extensionFor("application/octet-stream", "model.GGUF"), ".gguf");
    assert.equal(extensionFor("application/x-unheard-of", "notes.xyz"), ".xyz");
  });

  it("the mime wins over the file name when it has an extension of its own", () => {
    assert.equal(extensionFor("image/png", "photo.jpg"), ".png");
  });

  it("falls back to .bin for no name, no extension, or an extension that is not plain", () => {
    assert.equal(extensionFor("application/octet-stream"), ".bin");
    assert.equal(extensionFor("application/octet-stream", "README"), ".bin");
    assert.equal(extensionFor("application/octet-stream", "x.a/b"), ".bin");
    assert.equal(extensionFor("application/octet-stream", "x.tooooooooooooooolong"), ".bin");
    assert.equal(extensionFor("application/octet-stream", "x.p ng"), ".bin");
  });

  it("normalizes mimes and refuses malformed ones", () => {
    assert.equal(normalizeMime(" Text/HTML ; charset=UTF-8"), "text/html");
    assert.equal(normalizeMime(undefined), "application/octet-stream");
    assert.equal(normalizeMime("not a mime"), "application/octet-stream");
    assert.equal(normalizeMime("image/png\r\nx-evil: 1"), "application/octet-stream");
  });

  it("names the mime of a path by its extension", () => {
    assert.equal(mimeForPath("/data/a/photo.JPG"), "image/jpeg");
    assert.equal(mimeForPath("x.jpeg"), "image/jpeg");
    assert.equal(mimeForPath("ab/abcd.png"), "image/png");
    assert.equal(mimeForPath("ab/abcd.js"), "text/javascript");
    assert.equal(mimeForPath("ab/abcd.bin"), "application/octet-stream");
    assert.equal(mimeForPath("ab/abcd.unknown"), "application/octet-stream");
    assert.equal(mimeForPath("noext"), "application/octet-stream");
  });
});
