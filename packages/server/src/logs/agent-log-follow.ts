/**
 * Follows a bot's agent log as `tail -F` does: the newest lines first, then
 * each line the agent adds, across its rotations (agent.log renamed to
 * agent.log.1 and a new agent.log begun).
 *
 * It polls, every POLL_MS, the open file's size and the inode behind the
 * name, rather than watching with inotify: the folder is the bot's to write
 * (it could flood a watch with events), a poll of two stats per follower is
 * cheap, and a quarter of a second is as soon as a person reading a log needs.
 * Every open refuses a symlink or a non-regular file (openLogFile), as the
 * tail does, so a bot that swaps its log ends the follow with that refusal.
 * What is held is one chunk and at most one unfinished line (MAX_LINE_BYTES;
 * a longer one is passed on cut), however fast the bot writes: the caller
 * pulls each line when its client has taken the last.
 */
import { lstat } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import { AGENT_LOG_NAME, openLogFile, tailOf } from "./agent-log-files.js";

const POLL_MS = 250;
/** Read at a time from the file. */
const CHUNK_BYTES = 256 * 1024;
/** An unfinished line longer than this is passed on as it is. */
export const MAX_LINE_BYTES = 64 * 1024;

export interface AgentLogFollow {
  /** The newest `tail` lines, oldest first, as GET …/logs gives them. */
  head: string[];
  /** Each line written after them, until `signal` aborts or the bot's folder is gone. */
  lines: AsyncGenerator<string, void, undefined>;
}

/**
 * Opens the follow: the head is read before this resolves, so a refused log
 * (a symlink) is an error the caller can answer with a status.
 */
export async function followAgentLog(
  folder: string,
  tail: number,
  signal: AbortSignal,
  pollMs = POLL_MS,
): Promise<AgentLogFollow> {
  const live = path.join(folder, AGENT_LOG_NAME);
  let file = await openLogFile(live);
  let position = 0;
  try {
    const head = await tailOf(folder, tail, file);
    if (file) position = file.size - head.partialBytes;
    return { head: head.lines, lines: follow() };
  } catch (error) {
    await file?.handle.close();
    throw error;
  }

  async function* follow(): AsyncGenerator<string, void, undefined> {
    let pending = Buffer.alloc(0);
    const chunk = Buffer.alloc(CHUNK_BYTES);

    /** Complete lines from what was read; the unfinished rest stays pending (cut at MAX_LINE_BYTES). */
    function* split(bytes: Buffer, flush: boolean): Generator<string> {
      let data = pending.length > 0 ? Buffer.concat([pending, bytes]) : bytes;
      let end: number;
      while ((end = data.indexOf(10)) >= 0) {
        if (end > 0) yield data.subarray(0, end).toString("utf8");
        data = data.subarray(end + 1);
      }
      while (data.length > MAX_LINE_BYTES) {
        yield data.subarray(0, MAX_LINE_BYTES).toString("utf8");
        data = data.subarray(MAX_LINE_BYTES);
      }
      if (flush && data.length > 0) {
        yield data.toString("utf8");
        data = Buffer.alloc(0);
      }
      pending = Buffer.from(data);
    }

    /** What the open file has past `position`, a chunk at a time. */
    async function* readNew(): AsyncGenerator<string> {
      if (!file) return;
      const { handle } = file;
      const { size: now } = await handle.stat();
      if (now < position) {
        // Truncated in place (not the agent's rotation): start again from its top.
        position = 0;
        pending = Buffer.alloc(0);
      }
      while (position < now && !signal.aborted) {
        const { bytesRead } = await handle.read(chunk, 0, Math.min(CHUNK_BYTES, now - position), position);
        if (bytesRead === 0) break;
        position += bytesRead;
        yield* split(chunk.subarray(0, bytesRead), false);
      }
    }

    try {
      while (!signal.aborted) {
        yield* readNew();
        const named = await lstat(live).catch(() => undefined);
        if (named && named.ino !== file?.ino) {
          // Rotated (or begun): the old file is finished once renamed; read
          // what reached it meanwhile, then go on at the top of the new one.
          yield* readNew();
          yield* split(Buffer.alloc(0), true);
          await file?.handle.close();
          file = await openLogFile(live);
          position = 0;
          continue;
        }
        if (!named && !(await lstat(folder).catch(() => undefined))) return; // The bot is gone.
        await sleep(pollMs, undefined, { signal }).catch(() => undefined);
      }
    } finally {
      await file?.handle.close();
    }
  }
}
