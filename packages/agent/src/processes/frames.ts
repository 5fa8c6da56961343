/**
 * The keeper's socket protocol: length-prefixed frames, one kind byte and a
 * 32-bit big-endian length before each payload. JSON frames carry requests,
 * replies and events; binary frames carry input and output bytes unchanged.
 */
export const FrameKind = {
  /** A request (agent to keeper) or a reply (keeper to agent). */
  Json: 1,
  /** Input bytes following an `input` request. */
  Input: 2,
  /** Output: stream byte, 64-bit offset, then the bytes. */
  Output: 3,
  /** `{ from, to }`: output dropped before this reader got it. */
  Dropped: 4,
  /** The exit record: the last frame of an attach to an exited process. */
  Exit: 5,
  /** Without follow: everything there at the attach's start was sent. */
  End: 6,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/**
 * Output streams as numbered in process.proto's OutputStream, kept here so
 * the keeper does not load the protocol code (the tests that tell stdout,
 * stderr and pty output apart check they match).
 */
export const OutputStream = { Stdout: 1, Stderr: 2, Pty: 3 } as const;

const HEADER_BYTES = 5;
/** Larger frames are a broken peer, not data: output goes in 64 KiB pieces, input in 1 MiB at most. */
const MAX_FRAME_BYTES = 2 * 2 ** 20;

export function frame(kind: FrameKind, payload: Buffer): Buffer {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header[0] = kind;
  header.writeUInt32BE(payload.length, 1);
  return Buffer.concat([header, payload]);
}

export const jsonFrame = (kind: FrameKind, value: unknown): Buffer => frame(kind, Buffer.from(JSON.stringify(value)));

export function outputFrame(stream: number, offset: number, data: Buffer): Buffer {
  const head = Buffer.allocUnsafe(HEADER_BYTES + 9);
  head[0] = FrameKind.Output;
  head.writeUInt32BE(9 + data.length, 1);
  head[HEADER_BYTES] = stream;
  head.writeBigUInt64BE(BigInt(offset), HEADER_BYTES + 1);
  return Buffer.concat([head, data]);
}

export function parseOutput(payload: Buffer): { stream: number; offset: number; data: Buffer } {
  return { stream: payload[0]!, offset: Number(payload.readBigUInt64BE(1)), data: payload.subarray(9) };
}

export interface Frame {
  kind: FrameKind;
  payload: Buffer;
}

/** Splits a byte stream into frames; throws on a frame no peer of ours would send. */
export class FrameSplitter {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Frame[] = [];
    while (this.pending.length >= HEADER_BYTES) {
      const length = this.pending.readUInt32BE(1);
      if (length > MAX_FRAME_BYTES) throw new Error(`frame of ${length} bytes is over the limit`);
      if (this.pending.length < HEADER_BYTES + length) break;
      frames.push({
        kind: this.pending[0] as FrameKind,
        payload: this.pending.subarray(HEADER_BYTES, HEADER_BYTES + length),
      });
      this.pending = this.pending.subarray(HEADER_BYTES + length);
    }
    return frames;
  }
}
