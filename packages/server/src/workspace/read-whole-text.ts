import type { Readable } from "node:stream";

import type { AgentClient, FileEntry } from "../client/index.js";
import { NotFoundError } from "../errors.js";
import { FileTooLargeError, NotRegularFileError, NotTextFileError } from "./file-errors.js";

/** The agent calls a read through stat needs. */
export type WholeFileReader = Pick<AgentClient, "stat" | "readRaw">;
/** The agent call a read that follows no link needs. */
export type NoFollowFileReader = Pick<AgentClient, "readRawNoFollow">;

export interface ReadWholeTextOptions {
  /** The largest file read, in bytes: a FileTooLargeError past it, before or while reading. */
  maxBytes: number;
  /**
   * What a listing already said of the file: a plain file's entry saves the
   * stat. Any other entry (a link, say: listings describe links themselves)
   * is ignored and the file is stat'ed through its links.
   */
  known?: FileEntry;
  /**
   * NUL bytes within this many first bytes (Infinity: anywhere) make the
   * file binary, a NotTextFileError. Default 0: NUL is a valid character.
   */
  binaryProbeBytes?: number;
}

export interface NoFollowOptions extends Omit<ReadWholeTextOptions, "known"> {
  /**
   * Read `path` relative to this folder (absolute, or "" for the data folder)
   * following no link in any component; the agent opens only a regular file
   * (ForbiddenError for a link). For paths a bot may have swapped for a link.
   */
  noFollowRoot: string;
}

export interface WholeTextFile {
  path: string;
  /** The content, byte for byte (a byte-order mark is kept). */
  text: string;
  /** Bytes read. */
  size: number;
}

/**
 * A whole file from a bot's workspace, as text: the one bounded read that
 * memory, skills, the edit tool and the file manager share.
 *
 * Only a regular file is opened (a FIFO would block the read, /dev/zero never
 * ends, a folder is not text); the size is checked on the stat and counted
 * again while reading (the file may grow, and files in /proc say they are
 * empty); the bytes must be UTF-8, decoded with a fatal decoder, since a
 * lenient one would turn a binary file into U+FFFD everywhere and a caller
 * that writes the text back would corrupt it. Errors: NotFoundError naming
 * the path, NotRegularFileError, FileTooLargeError, NotTextFileError.
 */
export async function readWholeText(
  agent: WholeFileReader,
  path: string,
  options: ReadWholeTextOptions,
): Promise<WholeTextFile>;
export async function readWholeText(
  agent: NoFollowFileReader,
  path: string,
  options: NoFollowOptions,
): Promise<WholeTextFile>;
export async function readWholeText(
  agent: WholeFileReader | NoFollowFileReader,
  path: string,
  options: ReadWholeTextOptions | NoFollowOptions,
): Promise<WholeTextFile> {
  const stream =
    "noFollowRoot" in options
      ? await (agent as NoFollowFileReader).readRawNoFollow(options.noFollowRoot, path)
      : await openRegularFile(agent as WholeFileReader, path, options);
  const bytes = await collectBounded(stream, path, options.maxBytes);
  const probe = Math.min(options.binaryProbeBytes ?? 0, bytes.length);
  if (probe > 0 && bytes.subarray(0, probe).includes(0)) throw new NotTextFileError(path, "binary");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new NotTextFileError(path, "not_utf8");
  }
  return { path, text, size: bytes.length };
}

async function openRegularFile(agent: WholeFileReader, path: string, options: ReadWholeTextOptions) {
  const entry = options.known?.kind === "file" ? options.known : await statNamed(agent, path);
  if (entry.kind !== "file") throw new NotRegularFileError(path, entry);
  if (entry.size > options.maxBytes) throw new FileTooLargeError(path, options.maxBytes, entry.size);
  return agent.readRaw(path);
}

/** Stat's own NOT_FOUND does not name the file; this one does. */
async function statNamed(agent: WholeFileReader, path: string): Promise<FileEntry> {
  try {
    return await agent.stat(path);
  } catch (error) {
    if (error instanceof NotFoundError)
      throw new NotFoundError(`not found: ${path}: no such file or directory`, { cause: error });
    throw error;
  }
}

async function collectBounded(stream: Readable, path: string, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) throw new FileTooLargeError(path, maxBytes);
      chunks.push(chunk);
    }
  } finally {
    // Ends the agent's stream when the read stops early.
    stream.destroy();
  }
  return Buffer.concat(chunks, size);
}
