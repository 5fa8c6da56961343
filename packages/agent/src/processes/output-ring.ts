import type { LogRead } from "./output-log.js";

interface RingRecord {
  offset: number;
  stream: number;
  data: Buffer;
}

/**
 * The most recent output in memory, so a follower that keeps up is fed
 * without reading the log back from disk. Bounded: whole records leave from
 * the old end once more than `capacityBytes` are held.
 */
export class OutputRing {
  private readonly records: RingRecord[] = [];
  private head = 0;
  private bytes = 0;

  constructor(private readonly capacityBytes: number) {}

  push(offset: number, stream: number, data: Buffer): void {
    this.records.push({ offset, stream, data });
    this.bytes += data.length;
    while (this.bytes > this.capacityBytes && this.records.length - this.head > 1) {
      this.bytes -= this.records[this.head]!.data.length;
      this.head++;
    }
    // Compact now and then rather than shifting on every push.
    if (this.head > 1024 && this.head * 2 > this.records.length) {
      this.records.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Whether the ring holds the byte at `offset`. */
  holds(offset: number): boolean {
    const first = this.records[this.head];
    const last = this.records.at(-1);
    return (
      first !== undefined && last !== undefined && offset >= first.offset && offset < last.offset + last.data.length
    );
  }

  /** Output from `offset` (which the ring holds), adjacent records of one stream joined, up to maxBytes. */
  read(offset: number, maxBytes: number): LogRead {
    let low = this.head;
    let high = this.records.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.records[middle]!.offset <= offset) low = middle;
      else high = middle - 1;
    }
    const pieces: Buffer[] = [];
    const stream = this.records[low]!.stream;
    let position = offset;
    let size = 0;
    for (let index = low; index < this.records.length && size < maxBytes; index++) {
      const record = this.records[index]!;
      if (record.stream !== stream) break;
      const piece = record.data.subarray(position - record.offset, position - record.offset + maxBytes - size);
      pieces.push(piece);
      size += piece.length;
      position += piece.length;
    }
    return { kind: "output", stream, offset, data: pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces) };
  }
}
