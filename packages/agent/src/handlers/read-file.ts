import { type FileHandle, open } from "node:fs/promises";

import type { ReadFileRequest, ReadFileResponse } from "@botbox/proto";

import { resolvePath } from "../paths.js";
import { describeSystemError, errorCode, internal, notFound } from "../rpc-error.js";

// The limits an LLM-facing paged read keeps.
export const READ_MAX_LINES = 200;
export const READ_MAX_OUTPUT_BYTES = 5120;
export const READ_MAX_LINE_RUNES = 1000;
export const BINARY_PROBE_BYTES = 8192;
const SCAN_CHUNK_BYTES = 64 * 1024;
// Enough bytes of one line to hold 1000 runes of any encoding, plus a margin
// that tells a line of exactly 1000 runes from a longer one.
const LINE_KEEP_BYTES = READ_MAX_LINE_RUNES * 4 + 8;

export async function readFile(dataDir: string, request: ReadFileRequest): Promise<ReadFileResponse> {
  const filePath = resolvePath(dataDir, request.path);
  let file: FileHandle;
  try {
    file = await open(filePath, "r");
  } catch (error) {
    throw notFound(describeSystemError("open", filePath, error));
  }
  try {
    return await readPage(file, clampOffset(request.lineOffset), clampCount(request.nLines));
  } finally {
    await file.close();
  }
}

const clampOffset = (offset: number) => (offset < 1 ? 1 : offset);
const clampCount = (count: number) => (count < 1 || count > READ_MAX_LINES ? READ_MAX_LINES : count);

async function readPage(file: FileHandle, lineOffset: number, maxLines: number): Promise<ReadFileResponse> {
  const page = new PageCollector(lineOffset, maxLines);
  let position = 0;
  let probed = false;
  const buffer = Buffer.allocUnsafe(SCAN_CHUNK_BYTES);
  for (;;) {
    let bytesRead: number;
    try {
      ({ bytesRead } = await file.read(buffer, 0, buffer.length, position));
    } catch (error) {
      // A directory opens fine and then fails to read; the result is
      // an empty page, not an error.
      if (errorCode(error) === "EISDIR") return { content: "", totalLines: 0, binary: false };
      throw internal(`read: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!probed) {
      probed = true;
      if (buffer.subarray(0, Math.min(bytesRead, BINARY_PROBE_BYTES)).includes(0)) {
        return { content: "", totalLines: 0, binary: true };
      }
    }
    if (bytesRead === 0) break;
    page.consume(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
  return page.finish();
}

/**
 * Splits a byte stream into lines like Go's bufio.ScanLines (LF separates, a
 * trailing CR is dropped, a last line without LF still counts) and collects the
 * selected lines as `%6d\t<text>\n` within the byte budget. Unlike the
 * original, a line over 1 MiB does not stop the count.
 */
class PageCollector {
  private lineNumber = 1;
  private taken = 0;
  private full = false;
  private outputBytes = 0;
  private readonly output: string[] = [];
  private lineParts: Buffer[] = [];
  private lineKeptBytes = 0;
  private lineOverflow = false;
  private lineHasBytes = false;

  constructor(
    private readonly lineOffset: number,
    private readonly maxLines: number,
  ) {}

  consume(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(10, start);
      if (newline === -1) {
        this.appendToLine(chunk.subarray(start));
        return;
      }
      this.appendToLine(chunk.subarray(start, newline));
      this.endLine();
      start = newline + 1;
    }
  }

  finish(): ReadFileResponse {
    if (this.lineHasBytes) this.endLine();
    return { content: this.output.join(""), totalLines: this.lineNumber - 1, binary: false };
  }

  private wanted(): boolean {
    return !this.full && this.lineNumber >= this.lineOffset && this.taken < this.maxLines;
  }

  private appendToLine(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.lineHasBytes = true;
    if (!this.wanted() || this.lineOverflow) return;
    const room = LINE_KEEP_BYTES - this.lineKeptBytes;
    if (bytes.length > room) {
      this.lineOverflow = true;
      bytes = bytes.subarray(0, room);
    }
    // Copy: the scan buffer is reused for the next read.
    this.lineParts.push(Buffer.from(bytes));
    this.lineKeptBytes += bytes.length;
  }

  private endLine(): void {
    if (this.wanted()) this.collect(Buffer.concat(this.lineParts));
    this.lineNumber++;
    this.lineParts = [];
    this.lineKeptBytes = 0;
    this.lineOverflow = false;
    this.lineHasBytes = false;
  }

  private collect(raw: Buffer): void {
    let end = raw.length;
    if (!this.lineOverflow && end > 0 && raw[end - 1] === 13) end--;
    let text = raw.toString("utf8", 0, end);
    const runes = Array.from(text);
    if (runes.length > READ_MAX_LINE_RUNES) text = runes.slice(0, READ_MAX_LINE_RUNES).join("") + "...";
    const formatted = `${String(this.lineNumber).padStart(6, " ")}\t${text}\n`;
    const size = Buffer.byteLength(formatted);
    if (this.outputBytes + size > READ_MAX_OUTPUT_BYTES) {
      this.full = true;
      return;
    }
    this.output.push(formatted);
    this.outputBytes += size;
    this.taken++;
  }
}
