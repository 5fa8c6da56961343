import { createHash } from "node:crypto";

import { BadRequestError } from "../errors.js";
import { trimSpace } from "./whitespace.js";

/**
 * The largest memory text, in UTF-8 bytes. The original had none, but a day
 * file is written in one gRPC message (4 MiB at most on the agent), so a
 * bounded text fails with a clear 400 instead of a failed write.
 */
export const MAX_MEMORY_TEXT_BYTES = 64 * 1024;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The text a memory is stored with: trimmed of surrounding whitespace (the
 * original's parser trims bodies, so surrounding whitespace could never round
 * trip) and then checked. Everything inside, line endings included, is kept
 * exactly.
 */
export function normalizeMemoryText(raw: string, what = "text"): string {
  const text = trimSpace(raw);
  if (text === "") throw new BadRequestError(`${what} is required (and must not be only whitespace)`);
  // A lone surrogate cannot be written as UTF-8: it would come back as U+FFFD.
  if (LONE_SURROGATE.test(text)) throw new BadRequestError(`${what} must be valid Unicode (it has a lone surrogate)`);
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_MEMORY_TEXT_BYTES) {
    throw new BadRequestError(`${what} is ${bytes} bytes; at most ${MAX_MEMORY_TEXT_BYTES} are allowed`);
  }
  return text;
}

export interface MemoryMessage {
  role?: string;
  content?: string;
}

/** Messages as one memory text: `[ROLE] content` lines, empty contents skipped, an empty role is MESSAGE. */
export function messagesText(messages: MemoryMessage[]): string {
  return messages
    .map((message) => ({
      role: trimSpace(message.role ?? "").toUpperCase(),
      content: trimSpace(message.content ?? ""),
    }))
    .filter((message) => message.content !== "")
    .map((message) => `[${message.role || "MESSAGE"}] ${message.content}`)
    .join("\n");
}

/** sha256 hex of the trimmed text. */
export function memoryHash(text: string): string {
  return createHash("sha256").update(trimSpace(text), "utf8").digest("hex");
}
