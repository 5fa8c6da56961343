// A hand-written codec for Tunnel's data frames, the bulk of a port URL's
// traffic (docs/ports.md): the same bytes as the generated code (checked by
// tunnel-codec.test.ts), with the payload copied once on encode and not at
// all on decode. Open and close frames, rare, take the generated path.
import { TunnelFrame } from "./gen/mcpcontainer.js";
import { varintSize, writeVarint } from "./varint.js";

const DATA_FRAME_TAG = (2 << 3) | 2;
const DATA_TAG = (1 << 3) | 2;

export function encodeTunnelFrame(frame: TunnelFrame): Buffer {
  if (frame.frame?.$case !== "data") return Buffer.from(TunnelFrame.encode(frame).finish());
  const data = frame.frame.value.data;
  // The empty data frame (the connected ack) is an empty TunnelData, present: the oneof says which.
  const inner = data.length === 0 ? 0 : 1 + varintSize(data.length) + data.length;
  const output = Buffer.allocUnsafe(1 + varintSize(inner) + inner);
  output[0] = DATA_FRAME_TAG;
  let offset = writeVarint(output, 1, inner);
  if (data.length > 0) {
    output[offset++] = DATA_TAG;
    offset = writeVarint(output, offset, data.length);
    output.set(data, offset);
  }
  return output;
}

/** Reads a varint at `offset`: [value, next offset], or undefined past the end. */
function readVarint(buffer: Buffer, offset: number): [number, number] | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10 && offset < buffer.length; i++) {
    const byte = buffer[offset++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, offset];
    scale *= 128;
  }
  return undefined;
}

export function decodeTunnelFrame(buffer: Buffer): TunnelFrame {
  // The fast path takes exactly one data frame holding at most its data field; anything else is generated.
  if (buffer[0] === DATA_FRAME_TAG) {
    const outer = readVarint(buffer, 1);
    if (outer && outer[1] + outer[0] === buffer.length) {
      const start = outer[1];
      if (outer[0] === 0) return { frame: { $case: "data", value: { data: Buffer.alloc(0) } } };
      if (buffer[start] === DATA_TAG) {
        const inner = readVarint(buffer, start + 1);
        if (inner && inner[1] + inner[0] === buffer.length)
          return { frame: { $case: "data", value: { data: buffer.subarray(inner[1]) } } };
      }
    }
  }
  return TunnelFrame.decode(buffer);
}
