import { StringDecoder } from "node:string_decoder";

import type { ExecHandle } from "../client/index.js";
import { decodeTail } from "./exec-bytes.js";
import { prunePieces, pruneToolOutput } from "./prune.js";

/** Bytes kept from the start and from the end of a long output: far more than pruning shows. */
export const KEEP_HEAD_BYTES = 64 * 1024;
export const KEEP_TAIL_BYTES = 64 * 1024;

/**
 * A command's output seen as a stream, in bounded memory: the first bytes, a
 * rolling window of the last bytes, and the whole output's byte and line
 * counts, which is all pruning needs (prune.ts). Output that fits in the head
 * is kept whole and prunes exactly as the full text would.
 */
export class BoundedOutput {
  private readonly headChunks: Buffer[] = [];
  private headLength = 0;
  private tailChunks: Buffer[] = [];
  private tailLength = 0;
  /** Total bytes seen. */
  bytes = 0;
  /** Newline bytes seen. */
  newlines = 0;

  constructor(
    private readonly headCap = KEEP_HEAD_BYTES,
    private readonly tailCap = KEEP_TAIL_BYTES,
  ) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.bytes += chunk.length;
    for (let index = chunk.indexOf(10); index !== -1; index = chunk.indexOf(10, index + 1)) this.newlines++;
    let rest = chunk;
    if (this.headLength < this.headCap) {
      const take = Math.min(this.headCap - this.headLength, rest.length);
      // Copies: the chunk's memory may belong to a larger message buffer.
      this.headChunks.push(Buffer.from(rest.subarray(0, take)));
      this.headLength += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0) return;
    if (rest.length >= this.tailCap) {
      this.tailChunks = [Buffer.from(rest.subarray(rest.length - this.tailCap))];
      this.tailLength = this.tailCap;
      return;
    }
    this.tailChunks.push(Buffer.from(rest));
    this.tailLength += rest.length;
    // Drop whole chunks, then trim the oldest, so the window stays at tailCap.
    while (this.tailLength - this.tailChunks[0]!.length >= this.tailCap) {
      this.tailLength -= this.tailChunks.shift()!.length;
    }
    if (this.tailLength > this.tailCap) {
      const excess = this.tailLength - this.tailCap;
      this.tailChunks[0] = this.tailChunks[0]!.subarray(excess);
      this.tailLength = this.tailCap;
    }
    if (this.tailChunks.length > 64) {
      this.tailChunks = [Buffer.concat(this.tailChunks)];
    }
  }

  /** True when every byte was kept. */
  get complete(): boolean {
    return this.bytes === this.headLength;
  }

  /** The whole output, when complete; otherwise the kept head. */
  head(): Buffer {
    return Buffer.concat(this.headChunks);
  }

  /**
   * The last bytes of the output, up to the tail size; when the output is
   * only a little longer than the head, they start inside the head.
   */
  tail(): Buffer {
    const after = Buffer.concat(this.tailChunks);
    if (after.length >= this.tailCap) return after;
    const head = this.head();
    return Buffer.concat([head.subarray(Math.max(0, head.length - (this.tailCap - after.length))), after]);
  }

  /** Bytes kept in neither the head nor the tail window: 0 while every byte is kept. */
  get droppedBytes(): number {
    return this.bytes - this.headLength - this.tailLength;
  }

  /**
   * Everything kept, as text: the whole output when nothing was dropped, else
   * the head, `marker(droppedBytes)`, and the tail, neither with a character
   * split by the cut.
   */
  keptText(marker: (droppedBytes: number) => string): string {
    const afterHead = Buffer.concat(this.tailChunks);
    if (this.droppedBytes === 0) return Buffer.concat([this.head(), afterHead]).toString("utf8");
    // A decoder holds back the bytes of a character the cut split.
    const head = new StringDecoder("utf8").write(this.head());
    return `${head}${marker(this.droppedBytes)}${decodeTail(afterHead)}`;
  }

  /** The whole output as text, or undefined when only the head and tail were kept. */
  text(): string | undefined {
    return this.complete ? this.head().toString("utf8") : undefined;
  }

  /** The output pruned for the LLM, as pruneToolOutput would prune the whole text. */
  pruned(label: string): string {
    const whole = this.text();
    if (whole !== undefined) return pruneToolOutput(whole, label);
    // Bytes are counted as sent; only invalid UTF-8 would count differently once decoded.
    return prunePieces(this.head().toString("utf8"), decodeTail(this.tail()), this.bytes, this.newlines + 1, label);
  }
}

export interface BoundedExecResult {
  stdout: BoundedOutput;
  stderr: BoundedOutput;
  exitCode: number;
}

/** How much of each stream collectBounded keeps: the first and the last bytes. */
export interface KeptBytes {
  headBytes: number;
  tailBytes: number;
}

/**
 * Reads a started command to its end in bounded memory. `onStdout`, when
 * given, sees stdout chunks first and returns what is left for the collector.
 */
export async function collectBounded(
  handle: ExecHandle,
  onStdout?: (chunk: Buffer) => Buffer,
  keep: KeptBytes = { headBytes: KEEP_HEAD_BYTES, tailBytes: KEEP_TAIL_BYTES },
): Promise<BoundedExecResult> {
  handle.closeStdin();
  const stdout = new BoundedOutput(keep.headBytes, keep.tailBytes);
  const stderr = new BoundedOutput(keep.headBytes, keep.tailBytes);
  let exitCode = -1;
  for await (const event of handle) {
    if (event.type === "stdout") stdout.push(onStdout ? onStdout(event.data) : event.data);
    else if (event.type === "stderr") stderr.push(event.data);
    else exitCode = event.exitCode;
  }
  return { stdout, stderr, exitCode };
}
