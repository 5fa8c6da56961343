// Protocol Buffers varints, shared by the hand-written codecs
// (raw-codec.ts, tunnel-codec.ts).

/** Bytes a varint of `value` takes (value a non-negative safe integer). */
export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/** Writes `value` at `offset`; the offset after it. */
export function writeVarint(target: Buffer, offset: number, value: number): number {
  while (value >= 0x80) {
    target[offset++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  target[offset++] = value;
  return offset;
}
