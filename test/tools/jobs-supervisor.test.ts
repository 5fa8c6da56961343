import assert from "node:assert/strict";
import { access, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { AgentClient, ProcessClient, type ProcessView } from "../../packages/server/src/client/index.js";
import { ContainerTools } from "../../packages/server/src/tools/index.js";
import { startBackgroundJob } from "../../packages/server/src/tools/jobs.js";
import { jobHelpers, sharedJobTests } from "./job-suite.js";
import { type Job, startToolHarness, TOKEN, type ToolHarness } from "./tool-harness.js";

// Jobs on the agent's process supervisor (packages/server/src/tools/supervised-jobs.ts),
// against a real agent process. The file-based path: jobs.test.ts.

describe("background jobs on the process supervisor", () => {
  let h: ToolHarness;
  let processes: ProcessClient;

  const { liveInGroup, start, untilReleased, release, releaseAndWait, until } = jobHelpers(() => h);
  /** The process's output by stream, read back from the supervisor's log. */
  async function streams(view: ProcessView) {
    const text = { stdout: "", stderr: "" };
    for await (const event of processes.attach({ id: view.id }, { follow: false }))
      if (event.type === "output" && event.stream !== "pty") text[event.stream] += event.data.toString("utf8");
    return text;
  }

  before(async () => {
    h = await startToolHarness({ execTimeout: { defaultSeconds: 30, maxSeconds: 60 } });
    processes = new ProcessClient(h.client.endpoint);
  });
  after(async () => {
    processes.close();
    await h.stop();
  });

  it("runs a background job as a supervised process tagged with its id, not as job files", async () => {
    const command = `echo first; ${untilReleased("first")}; echo oops >&2; echo second; exit 3`;
    const started = await start(command);
    assert.match(started.job_id, /^job-[0-9a-f]{12}$/);
    assert.equal(started.status, "running");
    assert.ok(!("log" in started), "no log file to point at");

    const view = await processes.get({ tag: started.job_id });
    assert.equal(view.status, "running");
    assert.equal(view.shell, command);
    assert.equal(view.pid, started.pid);
    await assert.rejects(access(path.join(h.agent.dataDir, ".botbox/jobs", `${started.job_id}.log`)));

    const listed = await h.ok<{ jobs: Job[] }>("jobs", { action: "list" });
    const entry = listed.jobs.find((job) => job.id === started.job_id);
    assert.deepEqual(
      { ...entry, started_at: undefined },
      {
        pid: started.pid,
        id: started.job_id,
        command,
        work_dir: h.agent.dataDir,
        started_at: undefined,
        streams: "combined",
        status: "running",
        exit_code: null,
      },
    );
    const done = await releaseAndWait("first", started.job_id);
    assert.equal(done.status, "exited");
    assert.equal(done.exit_code, 3);
    assert.equal(done.timed_out, false);
    // Two pipes: the order across them is the keeper's, the order within each is exact.
    assert.deepEqual(done.output?.split("\n").sort(), ["", "first", "oops", "second"]);
    assert.deepEqual(await streams(view), { stdout: "first\nsecond\n", stderr: "oops\n" });
    const finished = await processes.get({ tag: started.job_id });
    assert.equal(finished.exitCode, 3);
  });

  it("gives a command that reads stdin the end of input, as a job always had", async () => {
    const started = await start("cat; echo after-stdin");
    const done = await h.ok<Job>("jobs", { action: "wait", id: started.job_id, timeout: 30 });
    assert.equal(done.output, "after-stdin\n");
    assert.equal(done.exit_code, 0);
  });

  sharedJobTests(() => h);

  it("kills the job's whole process group, children included", async () => {
    const started = await start("sleep 300 & echo $! > sup-child.pid; sh -c 'sleep 301' & wait");
    const childPid = await until("the child's pid", async () => {
      const pid = Number((await readFile(path.join(h.agent.dataDir, "sup-child.pid"), "utf8").catch(() => "")).trim());
      return pid > 0 ? pid : undefined;
    });
    assert.notEqual(await liveInGroup(started.pid), "");
    const killed = await h.ok<Job>("jobs", { action: "kill", id: started.job_id });
    assert.equal(killed.status, "killed");
    assert.equal(killed.exit_code, 137);
    assert.equal(await liveInGroup(started.pid), "");
    assert.equal(
      (await h.sh(`kill -0 ${childPid} 2>/dev/null && ps -o stat= -p ${childPid}`)).stdout.trim().replace(/^Z.*/, ""),
      "",
    );
    const again = await h.ok<Job>("jobs", { action: "kill", id: started.job_id });
    assert.equal(again.status, "killed");
    assert.equal(again.exit_code, 137);
  });

  it("records a job killed from outside as killed with its signal, where file jobs could only say lost", async () => {
    const started = await start("sleep 120");
    await h.sh(`kill -s KILL -- -${started.pid}`);
    const status = await until("the kill recorded", async () => {
      const now = await h.ok<Job>("jobs", { action: "status", id: started.job_id });
      return now.status === "running" ? undefined : now;
    });
    assert.equal(status.status, "killed");
    assert.equal(status.exit_code, 137);
  });

  it("calls a job whose keeper vanished lost", async () => {
    const started = await start("sleep 120");
    const keeper = Number((await h.sh(`ps -o ppid= -p ${started.pid}`)).stdout.trim());
    assert.ok(keeper > 1, `the job's keeper: ${keeper}`);
    await h.sh(`kill -s KILL ${keeper}; kill -s KILL -- -${started.pid}`);
    const status = await until("the job lost", async () => {
      const now = await h.ok<Job>("jobs", { action: "status", id: started.job_id });
      return now.status === "running" ? undefined : now;
    });
    assert.equal(status.status, "lost");
    assert.equal(status.exit_code, null);
  });

  // Each of these waits out a 1 s bound or timeout; they use jobs of their own, so
  // they run at once and the waits overlap.
  describe("calls that wait out a bound of 1 s", { concurrency: true }, () => {
    it("waits no longer than its bound, and answers as soon as the job ends", async () => {
      const started = await start(`sleep 60`);
      const before = Date.now();
      const waited = await h.ok<Job>("jobs", { action: "wait", id: started.job_id, timeout: 1 });
      const elapsed = Date.now() - before;
      assert.equal(waited.timed_out, true);
      assert.equal(waited.status, "running");
      assert.ok(elapsed >= 900 && elapsed < 15_000, `waited ${elapsed} ms`);
      await h.ok("jobs", { action: "kill", id: started.job_id });

      const quick = await start(`${untilReleased("quick")}; echo done`);
      const waiting = h.ok<Job>("jobs", { action: "wait", id: quick.job_id, timeout: 60 });
      const released = Date.now();
      await release("quick");
      const ended = await waiting;
      assert.equal(ended.output, "done\n");
      assert.ok(Date.now() - released < 10_000, "the wait ended with the job, not at its bound");
    });

    it("hands a foreground command that hits its timeout to the supervisor, output and exit code complete", async () => {
      const before = Date.now();
      const moved = await h.ok<Record<string, unknown>>("exec", {
        command: `echo before; ${untilReleased("moved")}; seq 1 3000; echo after >&2; exit 5`,
        timeout: 1,
      });
      assert.ok(Date.now() - before < 10_000, "the call returned at the timeout");
      assert.equal(moved.moved_to_background, true);
      assert.equal(moved.stdout, "before\n");
      const id = String(moved.job_id);
      const adopter = await processes.get({ tag: id });
      assert.equal(adopter.status, "running");
      assert.ok(!adopter.shell.includes("\n"), `one line for botbox ps: ${adopter.shell}`);
      assert.match(adopter.shell, new RegExp(`^: botbox adopts moved exec job ${id}, process group \\d+;`));
      const listed = await h.ok<{ jobs: Job[] }>("jobs", { action: "list" });
      assert.equal(listed.jobs.filter((job) => job.id === id).length, 1, "listed once");
      assert.equal(listed.jobs.find((job) => job.id === id)?.streams, "split");

      const done = await releaseAndWait("moved", id);
      assert.equal(done.status, "exited");
      assert.equal(done.exit_code, 5);
      assert.equal(done.stderr, "after\n");
      const ended = await processes.wait({ tag: id }, 10_000);
      assert.equal(ended.exitCode, 5, "the supervisor records the job's exit code");
      const seq = Array.from({ length: 3000 }, (_, i) => `${i + 1}\n`).join("");
      assert.deepEqual(await streams(ended), { stdout: `before\n${seq}`, stderr: "after\n" });
    });

    it("forwards a signal sent through the supervisor (botbox kill) to a moved command's group", async () => {
      const moved = await h.ok<Record<string, unknown>>("exec", { command: "echo started; sleep 300", timeout: 1 });
      const id = String(moved.job_id);
      const job = (await h.ok<{ jobs: Job[] }>("jobs", { action: "list" })).jobs.find((entry) => entry.id === id)!;
      assert.notEqual(await liveInGroup(job.pid), "");
      await processes.signal({ tag: id }, "TERM");
      const done = await h.ok<Job>("jobs", { action: "wait", id, timeout: 30 });
      assert.notEqual(done.status, "running");
      assert.equal(done.exit_code, 143);
      assert.equal(await liveInGroup(job.pid), "");
      const adopter = await processes.wait({ tag: id }, 10_000);
      assert.equal(adopter.exitCode, 143);
    });
  });

  // Its adopter can see the group gone before the kill's record is written (it
  // looks every 0.5 s); the kill's `.killing` mark makes it wait for the record
  // (packages/server/src/tools/job-scripts.test.ts forces that order).
  it("kills a moved command with the jobs tool, and its adopter ends the same way", async () => {
    const moved = await h.ok<Record<string, unknown>>("exec", { command: "sleep 300", timeout: 1 });
    const id = String(moved.job_id);
    const killed = await h.ok<Job>("jobs", { action: "kill", id });
    assert.equal(killed.status, "killed");
    assert.equal(killed.exit_code, 137);
    const adopter = await processes.wait({ tag: id }, 10_000);
    assert.equal(adopter.status, "exited");
    assert.equal(adopter.signal, "SIGKILL");
  });

  it("still resolves jobs started as files before the supervisor, next to supervised ones", async () => {
    const old = await startBackgroundJob(h.client, "echo from an old job", h.agent.dataDir);
    const fresh = await start("echo from a new job");
    await h.ok("jobs", { action: "wait", id: fresh.job_id });
    const waited = await h.ok<Job>("jobs", { action: "wait", id: old.id });
    assert.equal(waited.output, "from an old job\n");
    const ids = (await h.ok<{ jobs: Job[] }>("jobs", { action: "list" })).jobs.map((job) => job.id);
    assert.ok(ids.includes(old.id) && ids.includes(fresh.job_id));
  });

  it("keeps job state in the agent: a new host client and tools see the same jobs", async () => {
    const running = await start("sleep 120");
    const mine = await h.ok<{ jobs: Job[] }>("jobs", { action: "list" });
    const client = new AgentClient({ address: h.agent.address, token: TOKEN });
    try {
      const other = new ContainerTools({ clients: async () => client, execWorkDir: h.agent.dataDir });
      const theirs = await other.callTool("bot", "jobs", { action: "list" });
      assert.deepEqual(theirs.structuredContent, mine);
      const killed = await other.callTool("bot", "jobs", { action: "kill", id: running.job_id });
      assert.equal((killed.structuredContent as unknown as Job).status, "killed");
    } finally {
      client.close();
    }
  });

  it("names a missing work_dir and an unknown job", async () => {
    assert.match(
      await h.fails("exec", { command: "true", background: true, work_dir: "no/such/dir" }),
      /no\/such\/dir/,
    );
    assert.equal(await h.fails("jobs", { action: "status", id: "job-0123456789ab" }), "job job-0123456789ab not found");
    assert.equal(await h.fails("jobs", { action: "kill", id: "job-0123456789ab" }), "job job-0123456789ab not found");
  });
});

describe("supervised jobs where the job files cannot be made", () => {
  let h: ToolHarness;

  before(async () => {
    // An agent of its own: the list below must hold this one job, none of another file's.
    h = await startToolHarness({}, { fresh: true });
    // A file where the .botbox folder should be: the file-based jobs cannot start (jobs.test.ts).
    await writeFile(path.join(h.agent.dataDir, ".botbox"), "in the way");
  });
  after(() => h.stop());

  it("starts a background job anyway: the supervisor keeps its output, not the data folder", async () => {
    const started = await h.ok<{ job_id: string }>("exec", { command: "echo fine; exit 1", background: true });
    const done = await h.ok<Job>("jobs", { action: "wait", id: started.job_id });
    assert.equal(done.output, "fine\n");
    assert.equal(done.exit_code, 1);
    assert.deepEqual(
      (await h.ok<{ jobs: Job[] }>("jobs", { action: "list" })).jobs.map((job) => job.id),
      [started.job_id],
    );
  });
});
