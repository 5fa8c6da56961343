/**
 * Reads a bot's agent log: the rotated `agent.log`, `agent.log.1`, … the
 * agent writes in its run folder (agent call-log-file.ts), the host folder
 * bound at /run/botbox on every backend.
 *
 * The bot can write in that folder, so each file is opened with O_NOFOLLOW
 * (a symlink the bot left there, to a host file, is refused, never read) and
 * O_NONBLOCK, and must be a regular file (a FIFO would hang the read, a
 * device would be read as the server). The folder itself is the host's and
 * the bot cannot replace it. What is read is bounded: the newest `tail`
 * lines, from at most MAX_READ_BYTES of the newest files, however big the
 * bot made them.
 */
import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import path from "node:path";

import { ConflictError, UnavailableError } from "../errors.js";

export const AGENT_LOG_NAME = "agent.log";
/** Rotated files looked at beyond the live one (the agent keeps at most 32 in all). */
const MAX_ROTATED = 31;
/** The most read for one answer, across files. */
export const MAX_READ_BYTES = 8 * 2 ** 20;
export const MAX_TAIL_LINES = 10_000;

export interface AgentLogTail {
  /** The newest lines, oldest first, each one JSON object as the agent logged it. */
  lines: string[];
  /** True when the answer stopped before the oldest line kept (at `tail` lines or the byte bound). */
  truncated: boolean;
}

/** A log file as opened, with what its one fstat said (the check that it is a regular file). */
export interface OpenLogFile {
  handle: FileHandle;
  size: number;
  ino: number;
}

/** Opens one log file without following a symlink; undefined when it is not there. */
export async function openLogFile(file: string): Promise<OpenLogFile | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "ELOOP")
      throw new ConflictError(
        `the agent log ${path.basename(file)} is a symbolic link: not read (replaced from inside the bot?)`,
      );
    throw new UnavailableError(`cannot read the agent log ${path.basename(file)}: ${(error as Error).message}`);
  }
  const stats = await handle.stat();
  if (!stats.isFile()) {
    await handle.close();
    throw new ConflictError(
      `the agent log ${path.basename(file)} is not a regular file: not read (replaced from inside the bot?)`,
    );
  }
  return { handle, size: stats.size, ino: stats.ino };
}

/** The last `maxBytes` before `size` of an open file, starting at a line's start when cut. */
async function readEnd(handle: FileHandle, maxBytes: number, size: number): Promise<{ text: string; cut: boolean }> {
  const length = Math.min(size, maxBytes);
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, size - length + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  let text = buffer.subarray(0, filled).toString("utf8");
  const cut = length < size;
  if (cut) text = text.slice(text.indexOf("\n") + 1);
  return { text, cut };
}

/**
 * The newest `tail` lines of the log in `folder`. `live`: the live file as
 * the caller opened it, read up to its size then (a follower goes on from
 * there); its unfinished last line is left out and its bytes counted in
 * `partialBytes`, so that the follower reads it whole.
 */
export async function tailOf(
  folder: string,
  tail: number,
  live?: OpenLogFile,
): Promise<AgentLogTail & { partialBytes: number }> {
  const newestFirst: string[] = [];
  let budget = MAX_READ_BYTES;
  let truncated = false;
  let partialBytes = 0;
  for (let index = 0; index <= MAX_ROTATED; index++) {
    const name = index === 0 ? AGENT_LOG_NAME : `${AGENT_LOG_NAME}.${index}`;
    const given = index === 0 ? live : undefined;
    const file = given ?? (await openLogFile(path.join(folder, name)));
    if (!file) {
      if (index === 0) continue; // Rotated just now, or nothing logged yet: the older files may be there.
      break;
    }
    let read: { text: string; cut: boolean };
    try {
      read = await readEnd(file.handle, budget, file.size);
    } finally {
      if (!given) await file.handle.close();
    }
    budget -= Buffer.byteLength(read.text);
    if (given && !read.text.endsWith("\n")) {
      const partial = read.text.slice(read.text.lastIndexOf("\n") + 1);
      partialBytes = Buffer.byteLength(partial);
      read.text = read.text.slice(0, read.text.length - partial.length);
    }
    const lines = read.text.split("\n").filter((line) => line.length > 0);
    for (let at = lines.length - 1; at >= 0 && newestFirst.length < tail; at--) newestFirst.push(lines[at]!);
    if (newestFirst.length >= tail || read.cut || budget <= 0) {
      truncated = true;
      break;
    }
  }
  return { lines: newestFirst.reverse(), truncated, partialBytes };
}
