import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { ConflictError, UnavailableError } from "../../packages/server/src/errors.js";
import { CONTAINER_PREFIX, type TaskInfo } from "../../packages/server/src/runtime/runtime.js";
import { SandboxRuntime } from "../../packages/server/src/runtime/sandbox/index.js";
import { botPaths } from "../../packages/server/src/runtime/sandbox/layout.js";
import { AGENT_BUNDLE, startAgentProcess } from "../support/agent-process.js";
import { withScratchFolder } from "../support/scratch.js";
import { sandboxSuite, waitForAgent } from "./support.js";

const run = promisify(execFile);
const START_BOT = fileURLToPath(new URL("./fixtures/start-bot.ts", import.meta.url));

describe("sandbox tasks", () => {
  const suite = sandboxSuite();

  const startBot = async () => {
    const [spec, client] = await suite.started();
    return { spec, client, task: await suite.runtime.taskInfo(spec.id) };
  };
  const untilStopped = async (id: string): Promise<TaskInfo> => {
    for (let tries = 0; tries < 200; tries++) {
      const info = await suite.runtime.taskInfo(id);
      if (info.state !== "running") return info;
      await sleep(20);
    }
    throw new Error(`${id} still runs`);
  };

  it("refuses to start without bubblewrap and says how to install it", () => {
    assert.throws(
      () => suite.another({ bwrapPath: "/nonexistent/bwrap" }),
      (error: unknown) => error instanceof UnavailableError && /apt-get install bubblewrap/.test(error.message),
    );
  });

  it("tasks outlive the server process that started them", async () => {
    const botId = randomUUID();
    suite.janitor.track(suite.runtime, CONTAINER_PREFIX + botId);
    const { stdout } = await run(process.execPath, ["--import", "tsx", START_BOT, suite.home, botId]);
    const { pid } = JSON.parse(stdout) as { pid: number };
    const info = await suite.runtime.taskInfo(CONTAINER_PREFIX + botId);
    assert.equal(info.state, "running");
    assert.equal(info.pid, pid);
    const agent = suite.janitor.client(await waitForAgent(suite.runtime, CONTAINER_PREFIX + botId));
    assert.equal((await agent.info()).botId, botId);
  });

  it("SIGKILL of the task's bwrap init ends the task, and it starts again", async () => {
    const { spec, task } = await startBot();
    process.kill(task.pid!, "SIGKILL");
    const info = await untilStopped(spec.id);
    assert.equal(info.state, "stopped");
    assert.equal(await suite.runtime.agentEndpoint(spec.id), undefined);
    await suite.startedAgain(spec);
  });

  it("the sandbox keeps running when its outer bwrap process dies", async () => {
    const { spec, task } = await startBot();
    const record = JSON.parse(await readFile(path.join(suite.home, "bots", spec.botId, "task.json"), "utf8")) as {
      monitorPid: number;
    };
    process.kill(record.monitorPid, "SIGKILL");
    await sleep(100);
    assert.equal((await suite.runtime.taskInfo(spec.id)).pid, task.pid);
    suite.janitor.client(await waitForAgent(suite.runtime, spec.id));
    assert.equal((await suite.runtime.stopTask(spec.id, { timeoutMs: 5_000 })).state, "stopped");
  });

  it("a task seen just as it ended reports its exit code", async () => {
    // A "bot" whose agent exits with 3 at once. Its outer bwrap, which writes
    // the exit code, is held stopped until after the init has ended, so the
    // task is looked at in the moment between the two.
    const scratch = await mkdtemp("/tmp/bbx-exit-");
    try {
      await chmod(scratch, 0o711);
      const bundle = path.join(scratch, "exit3.js");
      await writeFile(bundle, "setTimeout(() => process.exit(3), 300);\n", { mode: 0o644 });
      const exitingHome = path.join(scratch, "h");
      const exiting = new SandboxRuntime({ home: exitingHome, agentBundle: bundle, agentCodeCache: false });
      const spec = await suite.created({}, exiting);
      const task = await exiting.startTask(spec.id);
      const { monitorPid } = JSON.parse(await readFile(botPaths(exitingHome, spec.botId).task, "utf8")) as {
        monitorPid: number;
      };
      // The outer bwrap finishes setting the sandbox up (its id maps) after
      // startTask returns: stopped before that, the init never runs its
      // child. A child of the init shows the set-up is done.
      const hasChild = async () =>
        (await readFile(`/proc/${task.pid}/task/${task.pid}/children`, "utf8").catch(() => "")).trim() !== "";
      const setUp = Date.now() + 20_000;
      while (Date.now() < setUp && !(await hasChild())) await sleep(5);
      process.kill(monitorPid, "SIGSTOP");
      try {
        const ended = async () => /\) Z /.test(await readFile(`/proc/${task.pid}/stat`, "utf8").catch(() => ") Z "));
        const deadline = Date.now() + 20_000;
        while (Date.now() < deadline && !(await ended())) await sleep(10);
        assert.ok(await ended(), "the sandbox's init did not end");
        setTimeout(() => process.kill(monitorPid, "SIGCONT"), 100);
        const info = await exiting.taskInfo(spec.id);
        assert.deepEqual([info.state, info.exitCode], ["stopped", 3]);
      } finally {
        try {
          process.kill(monitorPid, "SIGCONT");
        } catch {
          // It has already been let go and has ended.
        }
      }
    } finally {
      await suite.janitor.cleanUp();
      await rm(scratch, { recursive: true, force: true });
    }
  });

  it("a stop lets the agent exit cleanly", async () => {
    const { spec } = await startBot();
    const info = await suite.runtime.stopTask(spec.id, { timeoutMs: 5_000 });
    assert.equal(info.state, "stopped");
    assert.equal(info.exitCode, 0);
    assert.equal((await suite.runtime.taskInfo(spec.id)).state, "stopped");
  });

  it("a stop kills a task that ignores its signal, unless force is off", async () => {
    const { spec } = await startBot();
    // SIGWINCH is ignored by default.
    await assert.rejects(
      suite.runtime.stopTask(spec.id, { signal: "SIGWINCH", timeoutMs: 200, force: false }),
      ConflictError,
    );
    assert.equal((await suite.runtime.taskInfo(spec.id)).state, "running");
    const started = Date.now();
    const info = await suite.runtime.stopTask(spec.id, { signal: "SIGWINCH", timeoutMs: 300 });
    assert.equal(info.state, "stopped");
    assert.ok(Date.now() - started < 3_000);
  });

  it("bwrap's init reaps orphaned processes: no zombie stays", async () => {
    const { client } = await startBot();
    // Long enough to be seen on a loaded machine; the test then waits for it to end.
    await client.exec("setsid sleep 1.5 >/dev/null 2>&1 </dev/null &");
    const processes = async () =>
      (await client.exec("cat /proc/[0-9]*/stat 2>/dev/null")).stdout
        .split("\n")
        .filter(Boolean)
        .map((line) => {
          const [name, rest] = [
            line.slice(line.indexOf("(") + 1, line.lastIndexOf(")")),
            line.slice(line.lastIndexOf(")") + 2),
          ];
          const [state, ppid] = rest.split(" ");
          return { name, state, ppid: Number(ppid) };
        });
    const orphan = (await processes()).find((entry) => entry.name === "sleep");
    assert.equal(orphan?.ppid, 1, "the orphan is re-parented to the sandbox's PID 1");
    let after = await processes();
    for (let i = 0; i < 100 && after.some((entry) => entry.name === "sleep"); i++) {
      await sleep(50);
      after = await processes();
    }
    assert.equal(
      after.find((entry) => entry.name === "sleep"),
      undefined,
    );
    assert.deepEqual(
      after.filter((entry) => entry.state === "Z"),
      [],
    );
  });

  it("the agent starts with the host-made V8 code cache, and V8 accepts it inside the sandbox", async () => {
    const { spec } = await startBot();
    const cache = await stat(path.join(suite.home, "opt", "botbox", "agent.js.cache"));
    assert.ok(cache.size > 100_000, `cache of ${cache.size} bytes`);
    const { stdout } = await run("ps", ["-o", "args=", "--ppid", String((await suite.runtime.taskInfo(spec.id)).pid)]);
    assert.match(stdout, /\/opt\/botbox\/agent-start\.js/);
    const log = await readFile(botPaths(suite.home, spec.botId).log, "utf8");
    assert.match(log, /agent listening/);
    assert.doesNotMatch(log, /code cache rejected/);
  });

  it("the code cache is made and used also when the home sits under a package.json of an ES module package", async () => {
    // As botbox's own checkout with the default home ./.botbox: node must not
    // take the staged CommonJS bundles for ES modules.
    const parent = await mkdtemp("/tmp/bbx-esm-");
    try {
      // The bots' host uids must be able to pass through to the home.
      await chmod(parent, 0o711);
      await writeFile(path.join(parent, "package.json"), JSON.stringify({ type: "module" }));
      const esmHome = path.join(parent, "h");
      const esmRuntime = new SandboxRuntime({ home: esmHome, agentBundle: AGENT_BUNDLE });
      const [spec] = await suite.started({}, esmRuntime);
      const cache = await stat(path.join(esmHome, "opt", "botbox", "agent.js.cache"));
      assert.ok(cache.size > 100_000, `cache of ${cache.size} bytes`);
      const { stdout } = await run("ps", ["-o", "args=", "--ppid", String((await esmRuntime.taskInfo(spec.id)).pid)]);
      assert.match(stdout, /\/opt\/botbox\/agent-start\.js/);
      assert.doesNotMatch(await readFile(botPaths(esmHome, spec.botId).log, "utf8"), /code cache rejected/);
    } finally {
      // Before its home goes, or the janitor could no longer find it.
      await suite.janitor.cleanUp();
      await rm(parent, { recursive: true, force: true });
    }
  });

  it("doctor says whether bots start with a code cache, and why not", async () => {
    const check = (await suite.runtime.doctor()).find((entry) => entry.name === "agent code cache");
    assert.equal(check?.ok, true, check?.detail);
    assert.match(check.detail, /\d+ KiB/);
    // A bundle without the loader beside it cannot have one.
    await withScratchFolder("/tmp/bbx-noloader-", async (scratch) => {
      const bundle = path.join(scratch, "agent.js");
      await writeFile(bundle, "0\n");
      const bare = new SandboxRuntime({ home: path.join(scratch, "h"), agentBundle: bundle });
      const missing = (await bare.doctor()).find((entry) => entry.name === "agent code cache");
      assert.equal(missing?.ok, false);
      assert.match(missing.detail, /loader .*agent-start\.js is missing/);
      const off = new SandboxRuntime({ home: path.join(scratch, "o"), agentBundle: bundle, agentCodeCache: false });
      const turnedOff = (await off.doctor()).find((entry) => entry.name === "agent code cache");
      assert.deepEqual([turnedOff?.ok, turnedOff?.detail], [true, "turned off: bots compile the agent at each start"]);
    });
  });

  it("a cache V8 does not accept is reported, and the agent starts without it", async () => {
    await withScratchFolder("bbx-cache-", async (scratch) => {
      const bogus = path.join(scratch, "bogus.cache");
      await writeFile(bogus, Buffer.alloc(4096, 7));
      // Through the loader with the bogus cache; it resolves once the agent listens.
      const agent = await startAgentProcess({ codeCache: bogus });
      await agent.stop();
      assert.ok(agent.logs.some((line) => line.msg === "code cache rejected" && line.cache === bogus));
    });
  });
});
