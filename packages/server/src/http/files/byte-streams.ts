import type { Readable } from "node:stream";

/**
 * Bytes [start, start + length) of `source` (ReadRaw has no offset, so the
 * head is read and dropped). Ends the source once the slice is complete, and
 * fails if the source ends first (the file shrank since its stat), so a
 * response never ends short of its Content-Length without an error.
 */
export async function* sliceBytes(source: Readable, start: number, length: number): AsyncGenerator<Buffer> {
  let skip = start;
  let left = length;
  try {
    if (left === 0) return;
    for await (const chunk of source as AsyncIterable<Buffer>) {
      let piece = chunk;
      if (skip > 0) {
        if (piece.length <= skip) {
          skip -= piece.length;
          continue;
        }
        piece = piece.subarray(skip);
        skip = 0;
      }
      if (piece.length >= left) {
        yield piece.subarray(0, left);
        return;
      }
      left -= piece.length;
      yield piece;
    }
    throw new Error(`the file ended ${left} bytes early: it changed during the download`);
  } finally {
    source.destroy();
  }
}
