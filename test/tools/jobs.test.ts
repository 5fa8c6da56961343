import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { ProcessClient } from "../../packages/server/src/client/index.js";
import { ContainerTools } from "../../packages/server/src/tools/index.js";
import { jobHelpers, sharedJobTests } from "./job-suite.js";
import { startOldAgentHarness } from "./jobs-old-agent.js";
import { type Job, textOf, type ToolHarness } from "./tool-harness.js";

// The file-based jobs (packages/server/src/tools/jobs.ts): what an agent
// without the process supervisor gets (an older image, the original's agent),
// and what a moved foreground command keeps as its record on every agent.
// Jobs on the supervisor: jobs-supervisor.test.ts.

describe("file-based background jobs on an agent without the supervisor: exec background=true and the jobs tool", () => {
  let h: ToolHarness;

  const { liveInGroup, start, untilReleased, releaseAndWait } = jobHelpers(() => h);
  const isAlive = async (pid: number) => /^[^Z]/.test((await h.sh(`ps -o stat= -p ${pid}`)).stdout.trim());

  before(async () => {
    h = await startOldAgentHarness({ execTimeout: { defaultSeconds: 30, maxSeconds: 60 } });
  });
  after(() => h.stop());

  it("talks to an agent that really has no supervisor", async () => {
    const processes = new ProcessClient(h.client.endpoint);
    try {
      await assert.rejects(processes.list(), /the bot's agent has no process supervisor/);
    } finally {
      processes.close();
    }
  });

  it("lists no jobs before any was started", async () => {
    assert.deepEqual(await h.ok("jobs", { action: "list" }), { jobs: [] });
  });

  it("starts a job that outlives the call and writes its output to .botbox/jobs/<id>.log", async () => {
    const command = `echo first; echo oops >&2; ${untilReleased("first-job")}; echo second; exit 3`;
    const started = await start(command);
    assert.match(started.job_id, /^job-[0-9a-f]{12}$/);
    assert.equal(started.status, "running");
    assert.equal(started.log, `${h.agent.dataDir}/.botbox/jobs/${started.job_id}.log`);

    const listed = await h.ok<{ jobs: Job[] }>("jobs", { action: "list" });
    const entry = listed.jobs.find((job) => job.id === started.job_id);
    assert.ok(entry);
    assert.equal(entry.status, "running");
    assert.equal(entry.command, command);
    assert.equal(entry.work_dir, h.agent.dataDir);
    assert.equal(entry.pid, started.pid);
    assert.equal(entry.streams, "combined");

    const done = await releaseAndWait("first-job", started.job_id);
    assert.equal(done.status, "exited");
    assert.equal(done.exit_code, 3);
    assert.equal(done.timed_out, false);
    assert.equal(done.output, "first\noops\nsecond\n");
    assert.equal(await readFile(started.log!, "utf8"), "first\noops\nsecond\n");

    const status = await h.ok<Job>("jobs", { action: "status", id: started.job_id });
    assert.equal(status.status, "exited");
    assert.equal(status.exit_code, 3);
  });

  sharedJobTests(() => h);

  it("kills the job's whole process group, children included", async () => {
    const started = await start("sleep 300 & echo $! > child.pid; sh -c 'sleep 301' & wait");
    let childPid = Number.NaN;
    for (let attempt = 0; attempt < 100 && !(childPid > 0); attempt++) {
      childPid = Number((await readFile(path.join(h.agent.dataDir, "child.pid"), "utf8").catch(() => "")).trim());
      if (!(childPid > 0)) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(childPid > 0);
    assert.ok(await isAlive(childPid));
    assert.notEqual(await liveInGroup(started.pid), "");

    const killed = await h.ok<Job>("jobs", { action: "kill", id: started.job_id });
    assert.equal(killed.status, "killed");
    assert.equal(killed.exit_code, 137);
    assert.equal(await liveInGroup(started.pid), "");
    assert.equal(await isAlive(childPid), false);
    assert.equal(await isAlive(started.pid), false);

    // A second kill finds nothing to kill and reports the same state.
    const again = await h.ok<Job>("jobs", { action: "kill", id: started.job_id });
    assert.equal(again.status, "killed");
  });

  it("calls a job that died without recording an exit lost", async () => {
    const started = await start("sleep 120");
    await h.sh(`kill -s KILL -- -${started.pid}`);
    let status: Job;
    for (let attempt = 0; ; attempt++) {
      status = await h.ok<Job>("jobs", { action: "status", id: started.job_id });
      if (status.status !== "running" || attempt > 50) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(status.status, "lost");
    assert.equal(status.exit_code, null);
  });

  // Both wait out a 1 s bound or timeout with jobs of their own: at once, the waits overlap.
  describe("calls that wait out a bound of 1 s", { concurrency: true }, () => {
    it("waits no longer than its bound", async () => {
      const started = await start("sleep 60");
      const before = Date.now();
      const waited = await h.ok<Job>("jobs", { action: "wait", id: started.job_id, timeout: 1 });
      const elapsed = Date.now() - before;
      assert.equal(waited.status, "running");
      assert.equal(waited.timed_out, true);
      assert.ok(elapsed >= 900 && elapsed < 15_000, `waited ${elapsed} ms`);
      await h.ok("jobs", { action: "kill", id: started.job_id });
    });

    it("moves a foreground command that hits its timeout to the background, where it finishes with its exit code", async () => {
      const before = Date.now();
      const moved = await h.ok<Record<string, unknown>>("exec", {
        command: `echo before; ${untilReleased("moved-job")}; echo after >&2; exit 5`,
        timeout: 1,
      });
      assert.ok(Date.now() - before < 5000, "the call returned at the timeout, not when the command ended");
      assert.equal(moved.moved_to_background, true);
      assert.equal(moved.status, "running");
      assert.equal(moved.exit_code, null);
      assert.equal(moved.stdout, "before\n");
      assert.equal(moved.stderr, "");
      const id = String(moved.job_id);
      assert.match(id, /^job-[0-9a-f]{12}$/);
      assert.match(String(moved.message), new RegExp(`background job ${id}`));

      const listed = await h.ok<{ jobs: Job[] }>("jobs", { action: "list" });
      assert.equal(listed.jobs.find((job) => job.id === id)?.streams, "split");

      const done = await releaseAndWait("moved-job", id);
      assert.equal(done.status, "exited");
      assert.equal(done.exit_code, 5);
      assert.equal(done.stdout, "before\n");
      assert.equal(done.stderr, "after\n");
    });
  });

  it("runs a job in its work_dir with its command quoted exactly", async () => {
    await h.ok("write", { path: "wd/.keep", content: "" });
    const started = await start(`printf '%s|' "it's" '$HOME' "a\\"b"; pwd`, { work_dir: "wd" });
    const done = await h.ok<Job>("jobs", { action: "wait", id: started.job_id });
    assert.equal(done.output, `it's|$HOME|a"b|${h.agent.dataDir}/wd\n`);
    assert.equal(done.work_dir, "wd");
  });

  it("keeps jobs on disk: another ContainerTools sees them", async () => {
    const other = new ContainerTools({ clients: async () => h.client, execWorkDir: h.agent.dataDir });
    const mine = await h.ok<{ jobs: Job[] }>("jobs", { action: "list" });
    const theirs = await other.callTool("bot", "jobs", { action: "list" });
    assert.deepEqual(theirs.structuredContent, mine);
    assert.ok(mine.jobs.length >= 5);
  });

  it("rejects bad job ids and arguments without touching anything", async () => {
    for (const id of [
      "../../etc/passwd",
      "job-../../x",
      "JOB-0123456789AB",
      "job-0123456789ab ; rm -rf /",
      "job-*",
      "",
    ]) {
      for (const action of ["status", "wait", "kill"]) {
        assert.match(await h.fails("jobs", { action, id }), /^invalid id: /, `${action} ${id}`);
      }
    }
    assert.match(await h.fails("jobs", { action: "status" }), /^invalid id: /);
    assert.equal(await h.fails("jobs", { action: "status", id: 42 }), "invalid id: must be a string");
    assert.equal(await h.fails("jobs", { action: "status", id: "job-0123456789ab" }), "job job-0123456789ab not found");
    assert.equal(await h.fails("jobs", { action: "kill", id: "job-0123456789ab" }), "job job-0123456789ab not found");
    assert.equal(await h.fails("jobs", { action: "wait", id: "job-0123456789ab" }), "job job-0123456789ab not found");
    assert.equal(
      await h.fails("jobs", { action: "restart" }),
      "invalid action: must be one of list, status, wait, kill",
    );
    assert.equal(await h.fails("jobs", {}), "invalid action: must be one of list, status, wait, kill");
    assert.equal(await h.fails("jobs", { action: "list", tail_lines: 0 }), "invalid tail_lines: must be >= 1, got 0");
    assert.equal(
      await h.fails("jobs", { action: "wait", id: "job-0123456789ab", timeout: 0 }),
      "invalid timeout: must be >= 1, got 0",
    );
  });
});

describe("file-based jobs where the job files cannot be made", () => {
  let h: ToolHarness;

  before(async () => {
    h = await startOldAgentHarness();
    // A file where the .botbox folder should be: mkdir -p fails.
    await writeFile(path.join(h.agent.dataDir, ".botbox"), "in the way");
  });
  after(() => h.stop());

  it("runs a foreground command anyway, without move-to-background", async () => {
    assert.deepEqual(await h.ok("exec", { command: "echo still works; exit 2" }), {
      stdout: "still works\n",
      stderr: "",
      exit_code: 2,
    });
  });

  it("fails to start a background job with a clear error", async () => {
    const result = await h.call("exec", { command: "sleep 1", background: true });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /^could not start the background job: mkdir: .*Not a directory/);
  });

  it("lists no jobs", async () => {
    assert.deepEqual(await h.ok("jobs", { action: "list" }), { jobs: [] });
  });
});
