import type net from "node:net";

import { FrameKind, jsonFrame, outputFrame } from "./frames.js";
import type { Keeper } from "./keeper.js";
import { type LogRead, OutputLogCursor } from "./output-log.js";

/** Bytes queued on a reader's socket before the keeper waits for it to drain. */
const SOCKET_HIGH_WATER_BYTES = 256 * 1024;
const READ_BYTES = 64 * 1024;

/**
 * One attached reader: a position in the output that moves forward as the
 * socket drains. A reader that falls behind the ring is fed from the log on
 * disk, so a slow reader costs a file position, never memory.
 */
export class Subscriber {
  private cursor: OutputLogCursor | undefined;
  private done = false;

  constructor(
    private readonly keeper: Keeper,
    private readonly socket: net.Socket,
    private position: number,
    /** Without follow: where to stop. */
    private readonly endAt: number | undefined,
  ) {
    socket.on("drain", () => this.pump());
    socket.once("close", () => this.finish());
  }

  pump(): void {
    while (!this.done && this.socket.writableLength < SOCKET_HIGH_WATER_BYTES) {
      const limit = this.endAt ?? this.keeper.log.total;
      if (this.position < limit) {
        const piece = this.read(Math.min(READ_BYTES, limit - this.position));
        if (piece.kind === "dropped") {
          this.socket.write(jsonFrame(FrameKind.Dropped, { from: piece.from, to: piece.to }));
          this.position = piece.to;
        } else if (piece.kind === "output") {
          this.socket.write(outputFrame(piece.stream, piece.offset, piece.data));
          this.position += piece.data.length;
        } else if (this.keeper.exit) {
          // The tail could not be written (a full disk) and never will be.
          this.socket.write(jsonFrame(FrameKind.Dropped, { from: this.position, to: limit }));
          this.position = limit;
        } else {
          return;
        }
        continue;
      }
      if (this.endAt !== undefined) this.end(jsonFrame(FrameKind.End, {}));
      else if (this.keeper.exit) this.end(jsonFrame(FrameKind.Exit, this.keeper.exit));
      return;
    }
  }

  private read(maxBytes: number): LogRead {
    if (this.keeper.ring.holds(this.position)) {
      this.cursor?.close();
      this.cursor = undefined;
      return this.keeper.ring.read(this.position, maxBytes);
    }
    if (this.cursor?.offset !== this.position) {
      this.cursor?.close();
      this.cursor = new OutputLogCursor(this.keeper.dir, this.position);
    }
    return this.cursor.read(maxBytes);
  }

  private end(last: Buffer): void {
    this.socket.end(last);
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.cursor?.close();
    this.keeper.forget(this);
  }
}
