// The jobs tool's kill and a moved job's adopter, as plain shell scripts on
// this host: the adopter must end as the job did even when it sees the
// group gone before the kill's record is written.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { adopterScript, JOBS_DIR, killScript } from "./job-scripts.js";

describe("a moved job's adopter and the jobs tool's kill", { concurrency: true }, () => {
  let data: string;
  let jobs: string;
  let count = 0;
  const children: ChildProcess[] = [];
  before(async () => {
    data = await mkdtemp(path.join(tmpdir(), "botbox-job-scripts-"));
    jobs = path.join(data, JOBS_DIR);
    await mkdir(jobs, { recursive: true });
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await rm(data, { recursive: true, force: true });
  });

  /** A job: `sleep` in a session (and so a process group) of its own, with its meta file. */
  async function startJob(): Promise<{ id: string; pid: number }> {
    const id = `job-test-${++count}`;
    const job = spawn("sleep", ["60"], { detached: true, stdio: "ignore" });
    children.push(job);
    await writeFile(path.join(jobs, `${id}.json`), `${JSON.stringify({ pid: job.pid, id })}\n`);
    return { id, pid: job.pid! };
  }

  /** The adopter as the supervisor runs it: sh in the jobs folder. Resolves with how it ended. */
  function adopt(id: string, pid: number): Promise<[number | null, NodeJS.Signals | null]> {
    const adopter = spawn("sh", ["-c", adopterScript(id, pid)], { cwd: jobs, stdio: "ignore" });
    children.push(adopter);
    return once(adopter, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  }

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it("waits for a kill's record when the group went first, and ends killed, not lost", async () => {
    const { id, pid } = await startJob();
    const ended = adopt(id, pid);
    // What killScript does, slowed down: the mark, the kill, then the record
    // well after the adopter's next look (every 0.5 s) finds the group gone.
    await writeFile(path.join(jobs, `${id}.killing`), "");
    process.kill(-pid, "SIGKILL");
    await sleep(1_500);
    await writeFile(path.join(jobs, `${id}.exit-137-killed`), "");
    assert.deepEqual(await ended, [null, "SIGKILL"]);
  });

  it("calls a job that ended with no record and no kill lost at once (exit 255)", async () => {
    const { id, pid } = await startJob();
    const ended = adopt(id, pid);
    await sleep(200);
    const started = Date.now();
    process.kill(-pid, "SIGKILL");
    assert.deepEqual(await ended, [255, null]);
    assert.ok(Date.now() - started < 3_000, "no wait for a record nobody writes");
  });

  it("killScript kills the group and records 137; the adopter ends with SIGKILL", async () => {
    const { id, pid } = await startJob();
    const ended = adopt(id, pid);
    const kill = spawn("sh", ["-c", killScript(id)], { cwd: data, stdio: ["ignore", "pipe", "inherit"] });
    let status = "";
    kill.stdout.setEncoding("utf8").on("data", (text: string) => (status += text));
    await once(kill, "close");
    assert.match(status, new RegExp(`^${id}\\t0\\t137-killed\\t`), status);
    assert.deepEqual(await ended, [null, "SIGKILL"]);
  });
});
