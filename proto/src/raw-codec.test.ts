import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { BinaryWriter } from "@bufbuild/protobuf/wire";

import { DataChunk, ExecOutput, ExecOutput_Stream, WriteRawChunk, WriteRawNoFollowChunk } from "./gen/mcpcontainer.js";
import {
  decodeDataChunk,
  decodeExecOutput,
  decodeWriteRawChunk,
  decodeWriteRawNoFollowChunk,
  encodeDataChunk,
  encodeExecOutput,
  encodeWriteRawChunk,
  encodeWriteRawNoFollowChunk,
} from "./raw-codec.js";

const sizes = [0, 1, 127, 128, 16_383, 16_384, 65_536, 2_097_152];

describe("fast raw codecs", () => {
  for (const size of sizes) {
    it(`encode DataChunk of ${size} bytes exactly as the generated code does`, () => {
      const data = Buffer.alloc(size, 0xab);
      assert.deepEqual(encodeDataChunk({ data }), Buffer.from(DataChunk.encode({ data }).finish()));
      assert.deepEqual(decodeDataChunk(Buffer.from(DataChunk.encode({ data }).finish())).data, data);
    });
  }

  it("encode WriteRawChunk exactly as the generated code does, with and without path and commit", () => {
    for (const message of [
      { path: "", data: Buffer.alloc(0), commit: false },
      { path: "/data/ü/file.txt", data: Buffer.alloc(0), commit: true },
      { path: "a", data: Buffer.from("hello"), commit: false },
      { path: "", data: Buffer.alloc(70_000, 1), commit: true },
    ]) {
      const generated = Buffer.from(WriteRawChunk.encode(message).finish());
      assert.deepEqual(encodeWriteRawChunk(message), generated);
      assert.deepEqual(decodeWriteRawChunk(generated), message);
    }
  });

  it("encode WriteRawNoFollowChunk exactly as the generated code does, every flag on and off", () => {
    const empty = Buffer.alloc(0);
    for (const message of [
      { root: "", relativePath: "", data: empty, abort: false, commit: false, replace: false },
      { root: "/data", relativePath: "media/ü.bin", data: empty, abort: false, commit: false, replace: true },
      { root: "", relativePath: "", data: Buffer.alloc(70_000, 1), abort: false, commit: true, replace: false },
      { root: "", relativePath: "", data: empty, abort: true, commit: false, replace: false },
    ]) {
      const generated = Buffer.from(WriteRawNoFollowChunk.encode(message).finish());
      assert.deepEqual(encodeWriteRawNoFollowChunk(message), generated);
      assert.deepEqual(decodeWriteRawNoFollowChunk(generated), message);
    }
  });

  it("encode and decode ExecOutput exactly as the generated code does, negative exit codes included", () => {
    for (const message of [
      { stream: ExecOutput_Stream.STDOUT, data: Buffer.from("hello"), exitCode: 0 },
      { stream: ExecOutput_Stream.STDERR, data: Buffer.alloc(4096, 7), exitCode: 0 },
      { stream: ExecOutput_Stream.EXIT, data: Buffer.alloc(0), exitCode: 0 },
      { stream: ExecOutput_Stream.EXIT, data: Buffer.alloc(0), exitCode: 137 },
      { stream: ExecOutput_Stream.EXIT, data: Buffer.alloc(0), exitCode: 2_147_483_647 },
      { stream: ExecOutput_Stream.EXIT, data: Buffer.alloc(0), exitCode: -1 },
      { stream: ExecOutput_Stream.EXIT, data: Buffer.alloc(0), exitCode: -2_147_483_648 },
    ]) {
      const generated = Buffer.from(ExecOutput.encode(message).finish());
      assert.deepEqual(encodeExecOutput(message), generated, JSON.stringify(message));
      assert.deepEqual(decodeExecOutput(generated), message);
    }
  });

  it("decodes fields in any order, skips unknown fields, and keeps the last value", () => {
    const writer = new BinaryWriter();
    writer.uint32((2 << 3) | 2).bytes(Buffer.from("old"));
    writer.uint32((9 << 3) | 0).uint64(123456789);
    writer.uint32((3 << 3) | 0).bool(true);
    writer.uint32((8 << 3) | 1).fixed64(7);
    writer.uint32((7 << 3) | 5).fixed32(7);
    writer.uint32((6 << 3) | 2).string("ignored");
    writer.uint32((1 << 3) | 2).string("p.txt");
    writer.uint32((2 << 3) | 2).bytes(Buffer.from("new"));
    const decoded = decodeWriteRawChunk(Buffer.from(writer.finish()));
    assert.equal(decoded.path, "p.txt");
    assert.equal(decoded.data.toString(), "new");
    assert.equal(decoded.commit, true);
  });

  it("rejects truncated input instead of reading past it", () => {
    const whole = encodeWriteRawChunk({ path: "x", data: Buffer.alloc(300, 1), commit: false });
    assert.throws(() => decodeWriteRawChunk(whole.subarray(0, whole.length - 1)), RangeError);
    assert.throws(() => decodeDataChunk(Buffer.from([0x0a, 0x80])), RangeError);
    assert.throws(() => decodeDataChunk(Buffer.from([0x0b])), RangeError);
  });
});
