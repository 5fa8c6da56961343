// The agent log's follower on plain files, written the way the agent writes
// and rotates them (append, rename to .1, begin a new file).
import assert from "node:assert/strict";
import { appendFile, mkdir, mkdtemp, rename, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { followAgentLog, MAX_LINE_BYTES } from "./agent-log-follow.js";

const POLL_MS = 10;

describe("following an agent log", () => {
  let root: string;
  let count = 0;
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), "botbox-log-follow-"));
  });
  after(() => rm(root, { recursive: true, force: true }));

  /** A fresh run folder with these lines already in agent.log (none: no file yet). */
  async function folderWith(lines?: string[]): Promise<{ folder: string; log: string }> {
    const folder = path.join(root, `run-${++count}`);
    await mkdir(folder);
    const log = path.join(folder, "agent.log");
    if (lines) await writeFile(log, lines.map((line) => `${line}\n`).join(""));
    return { folder, log };
  }

  /** The next `n` lines of the follow, or a failure naming what came. */
  async function take(lines: AsyncGenerator<string>, n: number): Promise<string[]> {
    const got: string[] = [];
    const timeout = AbortSignal.timeout(5_000);
    while (got.length < n) {
      const next = await Promise.race([
        lines.next(),
        new Promise<never>((_, reject) =>
          timeout.addEventListener("abort", () => reject(new Error(`only ${JSON.stringify(got)} in 5 s`))),
        ),
      ]);
      if (next.done) break;
      got.push(next.value);
    }
    return got;
  }

  it("gives the newest lines, then each appended one, a line held back until it is whole", async () => {
    const { folder, log } = await folderWith(["one", "two", "three"]);
    await appendFile(log, "four-be"); // The agent is mid-write: not a line yet.
    const abort = new AbortController();
    const follow = await followAgentLog(folder, 2, abort.signal, POLL_MS);
    assert.deepEqual(follow.head, ["two", "three"]);
    await appendFile(log, "gun\nfive\n");
    assert.deepEqual(await take(follow.lines, 2), ["four-begun", "five"]);
    abort.abort();
    assert.deepEqual(await take(follow.lines, 1), [], "ends when aborted");
  });

  it("goes on across a rotation: the old file to its end, then the new one from its top", async () => {
    const { folder, log } = await folderWith(["a"]);
    const abort = new AbortController();
    const follow = await followAgentLog(folder, 10, abort.signal, POLL_MS);
    assert.deepEqual(follow.head, ["a"]);
    await appendFile(log, "b\n");
    await rename(log, `${log}.1`);
    await writeFile(log, "c\nd\n");
    assert.deepEqual(await take(follow.lines, 3), ["b", "c", "d"]);
    abort.abort();
    await follow.lines.return();
  });

  it("waits for a log not written yet, reads a truncated one from its top, and passes a huge line on cut", async () => {
    const { folder, log } = await folderWith();
    const abort = new AbortController();
    const follow = await followAgentLog(folder, 10, abort.signal, POLL_MS);
    assert.deepEqual(follow.head, []);
    await writeFile(log, "first\n");
    assert.deepEqual(await take(follow.lines, 1), ["first"]);
    const afterTruncation = take(follow.lines, 1); // Pulling, so that it polls meanwhile.
    await truncate(log, 0);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS * 5));
    await appendFile(log, "again\n");
    assert.deepEqual(await afterTruncation, ["again"]);
    await appendFile(log, "x".repeat(MAX_LINE_BYTES + 10));
    const [cut] = await take(follow.lines, 1);
    assert.equal(cut!.length, MAX_LINE_BYTES, "an endless line is passed on in bounded pieces");
    abort.abort();
    await follow.lines.return();
  });

  it("ends with a refusal when the bot swaps its log for a symlink, and ends when the folder goes", async () => {
    const { folder, log } = await folderWith(["kept"]);
    const follow = await followAgentLog(folder, 10, new AbortController().signal, POLL_MS);
    await rm(log);
    await symlink("/etc/passwd", log);
    await assert.rejects(take(follow.lines, 1), /symbolic link: not read/);

    const gone = await folderWith(["last"]);
    const ends = await followAgentLog(gone.folder, 10, new AbortController().signal, POLL_MS);
    await rm(gone.folder, { recursive: true });
    assert.deepEqual(await take(ends.lines, 1), [], "the follow ends with the bot's folder");

    const swapped = await folderWith();
    await symlink("/etc/passwd", swapped.log);
    await assert.rejects(followAgentLog(swapped.folder, 10, new AbortController().signal), /symbolic link/);
  });
});
