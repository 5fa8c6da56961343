// The workspace's init (agent.js --botbox-init) on its own, on this host:
// what a runtime's stop and an agent's death do to it.
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { agentPidOf, startInit } from "./init-support.js";

describe("the workspace's init", { timeout: 120_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "botbox-init-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("starts an agent killed with SIGKILL again, and a stop then ends it with the agent's status", async () => {
    const init = startInit(dir);
    try {
      await init.waitFor((line) => line.msg === "agent listening");
      const first = await agentPidOf(init.child);
      process.kill(first, "SIGKILL");
      const restarted = await init.waitFor((line) => line.msg === "agent ended; starting it again");
      assert.equal(restarted.signal, "SIGKILL");
      await init.waitFor((line) => line.msg === "agent listening again");
      const second = await agentPidOf(init.child);
      assert.ok(second > 0 && second !== first, `a new agent: ${first} then ${second}`);
      // "close", not "exit": the last log lines may still be in the pipe at exit.
      const exited = once(init.child, "close");
      init.child.kill("SIGTERM");
      const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
      assert.deepEqual([code, signal], [0, null], "the agent stops cleanly with 0, and so does the init");
      assert.ok(init.lines.some((line) => line.service === "botbox-agent" && line.msg === "stopping"));
    } finally {
      init.child.kill("SIGKILL");
    }
  });

  it("an agent that fails before it listens is not started again: the init exits with its code", async () => {
    const init = startInit(dir, { BOTBOX_AGENT_TOKEN: "not a token" });
    const [code] = (await once(init.child, "close")) as [number | null];
    assert.equal(code, 1);
    assert.ok(init.lines.some((line) => line.msg === "the agent ended before it was listening; not starting it again"));
    assert.ok(!init.lines.some((line) => line.msg === "agent ended; starting it again"), "no restart");
  });
});
