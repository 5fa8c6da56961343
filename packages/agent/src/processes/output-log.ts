/**
 * A process's output on disk, bounded: segment files `out-<offset>.log`
 * named by the output offset of their first byte, each a run of records
 * (stream byte, 32-bit length, bytes). The writer starts a new segment every
 * quarter of the limit and deletes the oldest segments while more than the
 * limit is kept, so the oldest output goes first and what is gone is exactly
 * [0, first segment's offset). Segments are only ever appended to, so a
 * reader never needs a lock; a deleted segment it still holds open stays
 * readable.
 */
import { closeSync, ftruncateSync, openSync, readdirSync, readSync, unlinkSync, writevSync } from "node:fs";
import path from "node:path";

import { errorCode } from "../error-code.js";

const RECORD_HEADER_BYTES = 5;
const SEGMENT = /^out-([0-9a-f]{16})\.log$/;
export const MIN_OUTPUT_LIMIT_BYTES = 64 * 1024;

export interface Segment {
  start: number;
  file: string;
}

function listSegments(dir: string): Segment[] {
  const segments: Segment[] = [];
  for (const name of readdirSync(dir)) {
    const match = SEGMENT.exec(name);
    if (match) segments.push({ start: parseInt(match[1]!, 16), file: path.join(dir, name) });
  }
  return segments.sort((a, b) => a.start - b.start);
}

const segmentName = (start: number) => `out-${start.toString(16).padStart(16, "0")}.log`;

/** A record without bytes whose length is output that could not be written: a gap. */
const GAP_STREAM = 0;

export class OutputLogWriter {
  /** `covered`: output offsets the segment spans, gaps included. */
  private readonly segments: { start: number; covered: number; fileBytes: number; file: string }[] = [];
  private fd: number | undefined;
  private readonly segmentBytes: number;
  /** Output that could not be written yet (a full disk), recorded as a gap before the next bytes. */
  private pendingGap = 0;
  /** Output bytes so far: the next byte's offset. */
  total = 0;

  constructor(
    private readonly dir: string,
    private readonly limitBytes: number,
  ) {
    this.segmentBytes = Math.max(4096, Math.floor(limitBytes / 4));
  }

  /** Offsets below this were dropped. */
  get dropped(): number {
    return this.segments[0]?.start ?? this.total;
  }

  /**
   * Appends output. What cannot be written (a full disk) does not stop the
   * keeper: it becomes a gap record, which readers get as a dropped range.
   */
  append(stream: number, data: Buffer): void {
    let rest = data;
    while (rest.length > 0) {
      let piece = rest;
      try {
        let segment = this.currentSegment();
        if (this.pendingGap > 0) {
          this.writeRecord(segment, GAP_STREAM, this.pendingGap, Buffer.alloc(0));
          this.pendingGap = 0;
          segment = this.currentSegment();
        }
        piece = rest.subarray(0, this.segmentBytes - segment.covered);
        this.writeRecord(segment, stream, piece.length, piece);
      } catch {
        this.pendingGap += piece.length;
      }
      this.total += piece.length;
      rest = rest.subarray(piece.length);
      this.dropOldest();
    }
  }

  /** Deletes the oldest segment to make room (for the exit record on a full disk); false when none is left. */
  dropOldestSegment(): boolean {
    const oldest = this.segments.length > 1 ? this.segments.shift() : undefined;
    if (oldest) unlinkSync(oldest.file);
    return oldest !== undefined;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private currentSegment() {
    const current = this.segments.at(-1);
    if (current && current.covered < this.segmentBytes && this.fd !== undefined) return current;
    this.close();
    const start = this.total - this.pendingGap;
    const segment = { start, covered: 0, fileBytes: 0, file: path.join(this.dir, segmentName(start)) };
    this.fd = openSync(segment.file, "wx", 0o600);
    this.segments.push(segment);
    return segment;
  }

  private writeRecord(segment: (typeof this.segments)[number], stream: number, length: number, data: Buffer): void {
    const header = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
    header[0] = stream;
    header.writeUInt32BE(length, 1);
    // At an explicit position: after a cut-short record is truncated away, the
    // file offset would still point past it and leave a hole.
    const written = writevSync(this.fd!, [header, data], segment.fileBytes);
    if (written !== RECORD_HEADER_BYTES + data.length) {
      // A record cut short would misalign every record after it.
      ftruncateSync(this.fd!, segment.fileBytes);
      throw new Error("short write");
    }
    segment.fileBytes += written;
    segment.covered += length;
  }

  private dropOldest(): void {
    let kept = this.segments.reduce((sum, segment) => sum + segment.covered, 0);
    while (kept > this.limitBytes && this.segments.length > 1) {
      const oldest = this.segments.shift()!;
      kept -= oldest.covered;
      unlinkSync(oldest.file);
    }
  }
}

export type LogRead =
  | { kind: "output"; stream: number; offset: number; data: Buffer }
  | { kind: "dropped"; from: number; to: number }
  | { kind: "end" };

const READ_BLOCK_BYTES = 64 * 1024;

/**
 * Reads a process's output log forward from an offset. Adjacent records of
 * one stream come back as one chunk, so line-by-line output does not cost a
 * message per line.
 */
export class OutputLogCursor {
  private fd: number | undefined;
  private segmentStart = -1;
  /** File position and output offset of the next record header in the open segment. */
  private filePosition = 0;
  private recordOffset = 0;
  private cache: Buffer = Buffer.alloc(0);
  private cacheStart = 0;

  constructor(
    private readonly dir: string,
    public offset: number,
  ) {}

  read(maxBytes = READ_BLOCK_BYTES): LogRead {
    for (;;) {
      if (this.fd === undefined && !this.open()) {
        const first = listSegments(this.dir)[0];
        if (first && this.offset < first.start) return this.skipTo(first.start);
        return { kind: "end" };
      }
      const chunk = this.readRecords(maxBytes);
      if (chunk) return chunk;
      // Nothing more in this segment; a later one exists only once it is complete.
      const next = listSegments(this.dir).find((segment) => segment.start > this.segmentStart);
      if (!next) return { kind: "end" };
      // The writer may have finished this segment between the two looks.
      const tail = this.readRecords(maxBytes);
      if (tail) return tail;
      this.close();
      if (next.start > this.offset) return this.skipTo(next.start);
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.cache = Buffer.alloc(0);
  }

  private skipTo(to: number): LogRead {
    const dropped = { kind: "dropped" as const, from: this.offset, to };
    this.offset = to;
    return dropped;
  }

  /** Opens the segment holding `offset`; false when none does. */
  private open(): boolean {
    for (;;) {
      const holding = listSegments(this.dir)
        .filter((segment) => segment.start <= this.offset)
        .at(-1);
      if (!holding) return false;
      try {
        this.fd = openSync(holding.file, "r");
      } catch (error) {
        // Deleted by the writer between the listing and the open: look again.
        if (errorCode(error) === "ENOENT") continue;
        throw error;
      }
      this.segmentStart = holding.start;
      this.filePosition = 0;
      this.recordOffset = holding.start;
      this.cacheStart = 0;
      return true;
    }
  }

  private readRecords(maxBytes: number): LogRead | undefined {
    const pieces: Buffer[] = [];
    let stream = -1;
    const first = this.offset;
    let size = 0;
    while (size < maxBytes) {
      const header = this.bytesAt(this.filePosition, RECORD_HEADER_BYTES);
      if (!header) break;
      const recordStream = header[0]!;
      const length = header.readUInt32BE(1);
      if (this.recordOffset + length <= this.offset) {
        // Before the wanted offset: skip it without reading its bytes.
        this.filePosition += RECORD_HEADER_BYTES + length;
        this.recordOffset += length;
        continue;
      }
      if (recordStream === GAP_STREAM) {
        if (pieces.length > 0) break;
        const gap = { kind: "dropped" as const, from: this.offset, to: this.recordOffset + length };
        this.filePosition += RECORD_HEADER_BYTES;
        this.recordOffset += length;
        this.offset = gap.to;
        return gap;
      }
      if (stream !== -1 && recordStream !== stream) break;
      const skip = this.offset - this.recordOffset;
      const take = Math.min(length - skip, maxBytes - size);
      const data = this.bytesAt(this.filePosition + RECORD_HEADER_BYTES + skip, take);
      if (!data) break; // a writer mid-append: the rest comes on a later read
      stream = recordStream;
      pieces.push(data);
      size += take;
      this.offset += take;
      if (this.offset === this.recordOffset + length) {
        this.filePosition += RECORD_HEADER_BYTES + length;
        this.recordOffset += length;
      }
    }
    if (pieces.length === 0) return undefined;
    return { kind: "output", stream, offset: first, data: pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces) };
  }

  /** `length` bytes of the open segment at `position`, through a block cache; undefined past its end. */
  private bytesAt(position: number, length: number): Buffer | undefined {
    const cacheEnd = this.cacheStart + this.cache.length;
    if (position < this.cacheStart || position + length > cacheEnd) {
      const block = Buffer.allocUnsafe(Math.max(length, READ_BLOCK_BYTES));
      const read = readSync(this.fd!, block, 0, block.length, position);
      this.cache = block.subarray(0, read);
      this.cacheStart = position;
      if (read < length) return undefined;
    }
    return this.cache.subarray(position - this.cacheStart, position - this.cacheStart + length);
  }
}
