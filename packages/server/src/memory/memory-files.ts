import type { AgentClient, FileEntry } from "../client/index.js";
import { NotFoundError, PayloadTooLargeError } from "../errors.js";
import { FileTooLargeError, NotRegularFileError, NotTextFileError, readWholeText } from "../workspace/index.js";
import { parseMemoryDay, sortByTime } from "./day-file.js";
import { parseLegacyMemory } from "./legacy-file.js";
import type { MemoryItem } from "./memory-item.js";
import { compareInstants, parseRfc3339 } from "./timestamps.js";

/** The agent calls the store needs; AgentClient has them. Paths are relative to the data folder. */
export type MemoryFiles = Pick<AgentClient, "readRaw" | "writeRaw" | "stat" | "listDir" | "deleteFile" | "rename">;

/**
 * Largest memory file (day file, legacy file or manifest) read or written.
 * Reads stop past it, so a bot's `memory/x.md -> /dev/zero` or a huge file
 * cannot fill the server's memory.
 */
export const MAX_MEMORY_FILE_BYTES = 8 * 2 ** 20;

/** A memory file write that would be larger than MAX_MEMORY_FILE_BYTES. */
export class MemoryFileTooLargeError extends PayloadTooLargeError {
  constructor(path: string, bytes: number | "over") {
    super(
      `memory file ${path} would be ${bytes === "over" ? "more than" : bytes} bytes, ` +
        `past the ${MAX_MEMORY_FILE_BYTES}-byte limit of a memory file`,
    );
  }
}

/** What reading a memory file found. */
export type ReadResult =
  | { kind: "missing" }
  | { kind: "text"; content: string }
  /** Not read: not a regular file (a FIFO, device, folder), larger than the cap, or not UTF-8 text. */
  | { kind: "skipped"; reason: string; why: "not_regular" | "too_large" | "not_text" };

/** The items of a file in either format, or undefined when it is neither. */
export function parseMemoryFile(content: string): MemoryItem[] | undefined {
  const day = parseMemoryDay(content);
  if (day) return day;
  const legacy = parseLegacyMemory(content);
  return legacy && [legacy];
}

/**
 * One copy per ID. The original kept the first copy found; a crash between
 * writing an item's new day file and removing it from its old one leaves two,
 * so the more recently updated copy wins (the first on a tie).
 */
export function dedupe(items: MemoryItem[]): MemoryItem[] {
  const byId = new Map<string, MemoryItem>();
  for (const item of items) {
    const kept = byId.get(item.id);
    if (!kept || compareInstants(parseRfc3339(item.updatedAt), parseRfc3339(kept.updatedAt)) > 0) {
      byId.set(item.id, item);
    }
  }
  return sortByTime([...byId.values()]);
}

/**
 * A whole file as UTF-8 text, at most MAX_MEMORY_FILE_BYTES of it
 * (workspace/read-whole-text.ts). `entry` is what a listing said of the
 * file; a link's target is stat'ed, so nothing but a regular file is opened.
 */
export async function readMemoryText(files: MemoryFiles, path: string, entry?: FileEntry): Promise<ReadResult> {
  try {
    const file = await readWholeText(files, path, { maxBytes: MAX_MEMORY_FILE_BYTES, known: entry });
    return { kind: "text", content: file.text };
  } catch (error) {
    if (error instanceof NotFoundError) return { kind: "missing" };
    if (error instanceof NotRegularFileError)
      return { kind: "skipped", reason: `not a regular file (${error.entry.mode})`, why: "not_regular" };
    if (error instanceof FileTooLargeError)
      return { kind: "skipped", reason: `larger than ${MAX_MEMORY_FILE_BYTES} bytes`, why: "too_large" };
    if (error instanceof NotTextFileError) return { kind: "skipped", reason: "not valid UTF-8 text", why: "not_text" };
    throw error;
  }
}
