import type { AgentClient, FileEntry } from "../../client/index.js";
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from "../../errors.js";
import { isRegularFile } from "./entry-view.js";

export interface TextFile {
  path: string;
  content: string;
  /** Bytes, as the original's len(content). */
  size: number;
}

/**
 * A file's whole text through ReadRaw. The original used the LLM-oriented
 * ReadFile, so content came line-numbered and cut at 5 KiB (fixed
 * upstream in 70252124b); the bound here is `maxBytes`, with a 413 past it.
 */
export async function readText(
  agent: AgentClient,
  target: string,
  entry: FileEntry,
  maxBytes: number,
): Promise<TextFile> {
  if (entry.isDir) throw new BadRequestError(`${target} is a directory: list it with /fs/list`);
  if (!isRegularFile(entry)) throw new BadRequestError(`${target} is not a regular file`);
  const overLimit = (size: string) =>
    new PayloadTooLargeError(
      `${target} is ${size} bytes, more than /fs/read returns (${maxBytes}, files.max_read_bytes): use /fs/download`,
    );
  if (entry.size > maxBytes) throw overLimit(String(entry.size));
  const stream = await agent.readRaw(target);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    // Counted again while reading: the file may have grown since its stat,
    // and files in /proc say they are empty.
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) throw overLimit("over");
      chunks.push(chunk);
    }
  } finally {
    stream.destroy();
  }
  const bytes = Buffer.concat(chunks, total);
  if (bytes.includes(0)) throw notText(target, "holds NUL bytes, so it is binary");
  try {
    const content = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    return { path: target, content, size: total };
  } catch {
    throw notText(target, "is not valid UTF-8 text");
  }
}

const notText = (target: string, why: string) =>
  new UnsupportedMediaTypeError(`${target} ${why}: use /fs/download for its bytes`);
