// reconcile() on the fake runtime, across a restart of the server: a new
// runtime instance and a new manager on the same home, as `botbox serve`
// started again would open them.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { containerIdFor } from "../../packages/server/src/manager/index.js";
import { type FakeManagerFixture, openFakeManagerFixture } from "./fake-support.js";
import { startReconcileBots } from "./support.js";

describe("reconcile() on the fake runtime, from a new runtime instance", () => {
  let fixture: FakeManagerFixture;

  before(async () => {
    fixture = await openFakeManagerFixture();
  });
  after(() => fixture.close());

  it("re-attaches the running bot, restarts the auto-start bot that died, leaves stopped and manual bots", async () => {
    const first = fixture.manager();
    const { bots, runningPid } = await startReconcileBots(fixture.store, first, "r");
    first.pool.closeAll();
    await fixture.runtime.close();
    // Behind the server's back, while it is away: two agents die.
    for (const id of [bots.died, bots.manual]) {
      const task = await fixture.runtime.taskInfo(containerIdFor(id));
      process.kill(task.pid!, "SIGKILL");
    }

    const runtime = fixture.reopenRuntime();
    // Not this instance's children: it sees them gone by looking at /proc, as a restarted server would.
    for (const id of [bots.died, bots.manual]) await runtime.taskExited(containerIdFor(id));
    const second = fixture.manager(runtime);
    const summary = await second.reconcile();
    assert.deepEqual(summary, { reattached: [bots.running], restarted: [bots.died], failed: [] });
    assert.equal((await second.state(bots.running)).pid, runningPid, "re-attached, not restarted");
    for (const id of [bots.running, bots.died]) assert.equal((await (await second.agentFor(id)).info()).botId, id);
    for (const id of [bots.stopped, bots.manual]) assert.equal((await second.state(id)).taskRunning, false, id);
  });
});
