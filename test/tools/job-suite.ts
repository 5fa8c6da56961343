// What the jobs tool does alike whichever keeps a background job: the agent's
// process supervisor (jobs-supervisor.test.ts) or job files on an agent
// without one (jobs.test.ts). Each file runs these tests on its own harness.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { it } from "node:test";

import type { Job, ToolHarness } from "./tool-harness.js";

/** What exec background=true answers; `log` only for a file-based job. */
export interface StartedJob {
  job_id: string;
  status: string;
  pid: number;
  message?: string;
  log?: string;
}

/** Helpers over a suite's harness; `harness` returns it once the suite's `before` made it. */
export function jobHelpers(harness: () => ToolHarness) {
  const release = (name: string) => writeFile(path.join(harness().agent.dataDir, `.release-${name}`), "");
  return {
    /** Processes of a group that are alive; zombies (this host's PID 1 may not reap) do not count. */
    liveInGroup: async (pgid: number) =>
      (
        await harness().sh(`ps -e -o pgid= -o stat= -o pid= | awk '$1 == ${pgid} && $2 !~ /^Z/ { print $3 }'`)
      ).stdout.trim(),
    start: (command: string, extra: Record<string, unknown> = {}) =>
      harness().ok<StartedJob>("exec", { command, background: true, ...extra }),
    // A job that must still run while the test looks at it waits for the test
    // to release it (a file in the data folder) instead of sleeping a fixed
    // time; it gives up after 10 s, so a call that wrongly waited for it ends.
    untilReleased: (name: string) =>
      `i=0; until [ -e .release-${name} ] || [ $i -ge 200 ]; do sleep 0.05; i=$((i+1)); done`,
    release,
    /** Releases `name` and waits (for at most 30 s) for the job `id` to end. */
    async releaseAndWait(name: string, id: string): Promise<Job> {
      await release(name);
      return harness().ok<Job>("jobs", { action: "wait", id, timeout: 30 });
    },
    /** `probe`'s first answer other than undefined, asked every 100 ms for at most 15 s. */
    async until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}

/** The tests every kind of job passes alike, on the suite's harness. */
export function sharedJobTests(harness: () => ToolHarness): void {
  const { start, until } = jobHelpers(harness);
  const status = (id: string, extra: Record<string, unknown> = {}) =>
    harness().ok<Job>("jobs", { action: "status", id, ...extra });

  it("shows a running job's status and the tail of its output", async () => {
    const started = await start("seq 1 500; sleep 60");
    const running = await until("500 lines", async () => {
      const now = await status(started.job_id, { tail_lines: 10 });
      return now.output?.endsWith("500\n") ? now : undefined;
    });
    assert.equal(running.status, "running");
    assert.equal(running.exit_code, null);
    assert.equal(running.output, Array.from({ length: 10 }, (_, i) => `${i + 491}\n`).join(""));
    assert.equal((await status(started.job_id, { tail_bytes: 7 })).output, "99\n500\n");
    const capped = await status(started.job_id, { tail_lines: 5000 });
    assert.match(capped.output!, /^\[memoh pruned\] tool result \(job output\) too long \(bytes=1892, lines=501\)/);
    await harness().ok("jobs", { action: "kill", id: started.job_id });
  });

  it("cuts the tail at a character boundary", async () => {
    const started = await start("i=0; while [ $i -lt 500 ]; do printf '\\342\\202\\254'; i=$((i+1)); done");
    await harness().ok("jobs", { action: "wait", id: started.job_id });
    assert.equal((await status(started.job_id, { tail_bytes: 100 })).output, "\u20ac".repeat(33));
  });

  it("does not signal a job that already ended", async () => {
    const started = await start("exit 0");
    await harness().ok("jobs", { action: "wait", id: started.job_id });
    const killed = await harness().ok<Job>("jobs", { action: "kill", id: started.job_id });
    assert.equal(killed.status, "exited");
    assert.equal(killed.exit_code, 0);
  });
}
