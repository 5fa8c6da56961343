// How the host reads an agent log from the bot's run folder (logs/agent-log.ts)
// on real files: across rotated files, bounded, and never through what the
// bot may leave there instead of a file (a symlink to a host file, a FIFO).
// Each refusal is set beside the plain read it replaces, which does follow.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { AgentLogs } from "../../packages/server/src/logs/index.js";

const line = (n: number) => `${JSON.stringify({ level: 30, time: n, msg: "call", method: "Stat" })}\n`;

describe("AgentLogs reads the rotated files of a run folder", () => {
  let folder: string;
  let hostSecret: string;
  const logs = () =>
    new AgentLogs({ runtime: { name: "test", agentRunFolder: async () => folder }, containerIdFor: (id) => id });

  before(async () => {
    folder = await mkdtemp(path.join(tmpdir(), "botbox-agent-log-"));
    hostSecret = path.join(await mkdtemp(path.join(tmpdir(), "botbox-host-")), "secret");
    await writeFile(hostSecret, "host-only secret\n");
  });
  after(async () => {
    await rm(folder, { recursive: true, force: true });
    await rm(path.dirname(hostSecret), { recursive: true, force: true });
  });

  it("answers the newest lines oldest first, across agent.log and its rotated files", async () => {
    await writeFile(path.join(folder, "agent.log.2"), line(1) + line(2));
    await writeFile(path.join(folder, "agent.log.1"), line(3) + line(4));
    await writeFile(path.join(folder, "agent.log"), line(5));
    const all = await logs().tail("bot", 100);
    assert.deepEqual(
      all.lines.map((text) => (JSON.parse(text) as { time: number }).time),
      [1, 2, 3, 4, 5],
    );
    assert.equal(all.truncated, false);
    const three = await logs().tail("bot", 3);
    assert.deepEqual(
      three.lines.map((text) => (JSON.parse(text) as { time: number }).time),
      [3, 4, 5],
    );
    assert.equal(three.truncated, true);
  });

  it("refuses a symlink to a host file, which a plain read would follow", async () => {
    const live = path.join(folder, "agent.log");
    await rm(live);
    await symlink(hostSecret, live);
    // Without the protection: the host's own file.
    assert.equal(await readFile(live, "utf8"), "host-only secret\n");
    await assert.rejects(logs().tail("bot", 100), (error: Error) => {
      assert.match(error.message, /agent\.log is a symbolic link: not read/);
      assert.doesNotMatch(error.message, /secret/);
      return true;
    });
    // A rotated file is checked the same way.
    await rm(live);
    await writeFile(live, line(6));
    await rm(path.join(folder, "agent.log.1"));
    await symlink(hostSecret, path.join(folder, "agent.log.1"));
    await assert.rejects(logs().tail("bot", 100), /agent\.log\.1 is a symbolic link/);
    await rm(path.join(folder, "agent.log.1"));
    await writeFile(path.join(folder, "agent.log.1"), line(3));
  });

  it("refuses a FIFO at once instead of hanging on it", async () => {
    const live = path.join(folder, "agent.log");
    await rm(live);
    execFileSync("mkfifo", [live]);
    const started = Date.now();
    await assert.rejects(logs().tail("bot", 10), /agent\.log is not a regular file/);
    assert.ok(Date.now() - started < 2000, "answered without waiting for a writer");
    await rm(live);
  });

  it("reads at most its byte bound of a file the bot made huge", async () => {
    const live = path.join(folder, "agent.log");
    // 12 MiB of 2 KiB lines: past the 8 MiB the host reads for one answer.
    const big = `${JSON.stringify({ level: 30, time: 7, msg: "x".repeat(2000) })}\n`;
    await writeFile(live, big.repeat(Math.ceil((12 * 2 ** 20) / big.length)));
    const answer = await logs().tail("bot", 10_000);
    const read = answer.lines.reduce((sum, text) => sum + text.length + 1, 0);
    assert.ok(read <= 8 * 2 ** 20, `${read} bytes read`);
    assert.ok(answer.lines.length > 4000 && answer.lines.length < 10_000, `${answer.lines.length} lines`);
    assert.ok(
      answer.lines.every((text) => text === big.trimEnd()),
      "whole lines only",
    );
    assert.equal(answer.truncated, true);
    await rm(live);
  });

  it("says so where the backend keeps no agent log", async () => {
    const none = new AgentLogs({ runtime: { name: "elsewhere" }, containerIdFor: (id) => id });
    await assert.rejects(none.tail("bot", 1), /the elsewhere runtime keeps no agent log/);
  });
});
