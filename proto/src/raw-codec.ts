// Hand-written codecs for the bulk messages: DataChunk, WriteRawChunk and
// WriteRawNoFollowChunk.
// They produce and accept exactly the protobuf encoding of the generated code
// (checked by raw-codec.test.ts), but copy the payload once on encode and not
// at all on decode, where the generated code copies it three times and
// twice. Raw transfers spend most of their CPU there.
import { makeGenericClientConstructor } from "@grpc/grpc-js";

import {
  type ContainerServiceClient as GeneratedClient,
  ContainerServiceService as GeneratedService,
  type DataChunk,
  ExecOutput,
  type WriteRawChunk,
  type WriteRawNoFollowChunk,
} from "./gen/mcpcontainer.js";
import { decodeTunnelFrame, encodeTunnelFrame } from "./tunnel-codec.js";
import { varintSize, writeVarint } from "./varint.js";

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

type Field = [number, Uint8Array] | [number, boolean] | [number, number];

/** Encodes fields in order; empty and false values are omitted, as proto3 does. */
function encodeFields(fields: Field[]): Buffer {
  let size = 0;
  for (const [, value] of fields) {
    if (typeof value === "boolean") size += value ? 2 : 0;
    else if (typeof value === "number") size += value === 0 ? 0 : 1 + varintSize(value);
    else if (value.length > 0) size += 1 + varintSize(value.length) + value.length;
  }
  const output = Buffer.allocUnsafe(size);
  let offset = 0;
  for (const [field, value] of fields) {
    if (typeof value === "boolean") {
      if (!value) continue;
      output[offset++] = (field << 3) | WIRE_VARINT;
      output[offset++] = 1;
      continue;
    }
    if (typeof value === "number") {
      if (value === 0) continue;
      output[offset++] = (field << 3) | WIRE_VARINT;
      offset = writeVarint(output, offset, value);
      continue;
    }
    if (value.length === 0) continue;
    output[offset++] = (field << 3) | WIRE_LENGTH_DELIMITED;
    offset = writeVarint(output, offset, value.length);
    output.set(value, offset);
    offset += value.length;
  }
  return output;
}

class Reader {
  offset = 0;
  constructor(readonly buffer: Buffer) {}

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.buffer.length) throw new RangeError("truncated varint");
      const byte = this.buffer[this.offset++]!;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
    throw new RangeError("varint too long");
  }

  bytes(): Buffer {
    const length = this.varint();
    const end = this.offset + length;
    if (end > this.buffer.length) throw new RangeError("truncated length-delimited field");
    const value = this.buffer.subarray(this.offset, end);
    this.offset = end;
    return value;
  }

  skip(wireType: number): void {
    if (wireType === WIRE_VARINT) this.varint();
    else if (wireType === WIRE_FIXED64) this.offset += 8;
    else if (wireType === WIRE_LENGTH_DELIMITED) this.bytes();
    else if (wireType === WIRE_FIXED32) this.offset += 4;
    else throw new RangeError(`unsupported wire type ${wireType}`);
    if (this.offset > this.buffer.length) throw new RangeError("truncated field");
  }
}

/** Calls `onField` for each length-delimited or varint field; skips the rest, as protobuf readers must. */
function decodeFields(buffer: Buffer, onField: (field: number, value: Buffer | number) => void): void {
  const reader = new Reader(buffer);
  while (reader.offset < buffer.length) {
    const tag = reader.varint();
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (wireType === WIRE_LENGTH_DELIMITED) onField(field, reader.bytes());
    else if (wireType === WIRE_VARINT) onField(field, reader.varint());
    else reader.skip(wireType);
  }
}

export function encodeDataChunk(message: DataChunk): Buffer {
  return encodeFields([[1, message.data]]);
}

export function decodeDataChunk(buffer: Buffer): DataChunk {
  let data: Buffer = Buffer.alloc(0);
  decodeFields(buffer, (field, value) => {
    if (field === 1 && Buffer.isBuffer(value)) data = value;
  });
  return { data };
}

export function encodeWriteRawChunk(message: WriteRawChunk): Buffer {
  return encodeFields([
    [1, Buffer.from(message.path)],
    [2, message.data],
    [3, message.commit],
  ]);
}

export function decodeWriteRawChunk(buffer: Buffer): WriteRawChunk {
  let path = "";
  let data: Buffer = Buffer.alloc(0);
  let commit = false;
  decodeFields(buffer, (field, value) => {
    if (field === 1 && Buffer.isBuffer(value)) path = value.toString("utf8");
    else if (field === 2 && Buffer.isBuffer(value)) data = value;
    else if (field === 3 && typeof value === "number") commit = value !== 0;
  });
  return { path, data, commit };
}

export function encodeWriteRawNoFollowChunk(message: WriteRawNoFollowChunk): Buffer {
  return encodeFields([
    [1, Buffer.from(message.root)],
    [2, Buffer.from(message.relativePath)],
    [3, message.data],
    [4, message.abort],
    [5, message.commit],
    [6, message.replace],
  ]);
}

export function decodeWriteRawNoFollowChunk(buffer: Buffer): WriteRawNoFollowChunk {
  const chunk: WriteRawNoFollowChunk = {
    root: "",
    relativePath: "",
    data: Buffer.alloc(0),
    abort: false,
    commit: false,
    replace: false,
  };
  decodeFields(buffer, (field, value) => {
    if (Buffer.isBuffer(value)) {
      if (field === 1) chunk.root = value.toString("utf8");
      else if (field === 2) chunk.relativePath = value.toString("utf8");
      else if (field === 3) chunk.data = value;
    } else if (field === 4) chunk.abort = value !== 0;
    else if (field === 5) chunk.commit = value !== 0;
    else if (field === 6) chunk.replace = value !== 0;
  });
  return chunk;
}

/**
 * Exec output is the other stream of many messages (4 KiB each). Negative
 * exit codes, rare, take the generated path: an int32 below zero is a 10-byte
 * varint that a JavaScript number cannot carry exactly.
 */
export function encodeExecOutput(message: ExecOutput): Buffer {
  if (message.exitCode < 0 || message.stream < 0) return Buffer.from(ExecOutput.encode(message).finish());
  return encodeFields([
    [1, message.stream],
    [2, message.data],
    [3, message.exitCode],
  ]);
}

export function decodeExecOutput(buffer: Buffer): ExecOutput {
  let stream = 0;
  let data: Buffer = Buffer.alloc(0);
  let exitCode = 0;
  let generated = false;
  decodeFields(buffer, (field, value) => {
    if (field === 1 && typeof value === "number") stream = value;
    else if (field === 2 && Buffer.isBuffer(value)) data = value;
    else if (field === 3 && typeof value === "number") {
      if (value > 0x7fffffff) generated = true;
      else exitCode = value;
    }
  });
  return generated ? ExecOutput.decode(buffer) : { stream, data, exitCode };
}

/** The generated service definition with the bulk messages on the fast codecs. */
export const ContainerServiceDefinition = {
  ...GeneratedService,
  readRaw: { ...GeneratedService.readRaw, responseSerialize: encodeDataChunk, responseDeserialize: decodeDataChunk },
  writeRaw: {
    ...GeneratedService.writeRaw,
    requestSerialize: encodeWriteRawChunk,
    requestDeserialize: decodeWriteRawChunk,
  },
  readRawNoFollow: {
    ...GeneratedService.readRawNoFollow,
    responseSerialize: encodeDataChunk,
    responseDeserialize: decodeDataChunk,
  },
  writeRawNoFollow: {
    ...GeneratedService.writeRawNoFollow,
    requestSerialize: encodeWriteRawNoFollowChunk,
    requestDeserialize: decodeWriteRawNoFollowChunk,
  },
  tunnel: {
    ...GeneratedService.tunnel,
    requestSerialize: encodeTunnelFrame,
    requestDeserialize: decodeTunnelFrame,
    responseSerialize: encodeTunnelFrame,
    responseDeserialize: decodeTunnelFrame,
  },
} satisfies typeof GeneratedService;

/** A client class like the generated ContainerServiceClient, on the fast codecs. */
export const ContainerServiceFastClient = makeGenericClientConstructor(
  ContainerServiceDefinition,
  "mcpcontainer.ContainerService",
) as unknown as typeof GeneratedClient;
