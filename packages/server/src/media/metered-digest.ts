import { createHash } from "node:crypto";

import { MediaTooLargeError } from "./errors.js";

/** What an ingest reads: chunks of bytes (or text, taken as UTF-8), or one whole value. */
export type IngestSource = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string> | Uint8Array | string;

/** SHA-256 and size of the bytes that pass through, failing once they exceed a limit. */
export class MeteredDigest {
  private readonly hash = createHash("sha256");
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get size(): number {
    return this.bytes;
  }

  /** The source's chunks, unchanged, counted and hashed on their way through. */
  async *pass(source: IngestSource): AsyncGenerator<Uint8Array> {
    const chunks = typeof source === "string" || source instanceof Uint8Array ? [source] : source;
    for await (const piece of chunks) {
      const chunk = typeof piece === "string" ? Buffer.from(piece) : piece;
      this.bytes += chunk.length;
      if (this.bytes > this.maxBytes) throw new MediaTooLargeError(this.maxBytes);
      this.hash.update(chunk);
      yield chunk;
    }
  }

  /** The hex digest; call once, after the source is drained. */
  hex(): string {
    return this.hash.digest("hex");
  }
}
