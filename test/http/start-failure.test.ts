import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { type BotboxServer, sandboxProcessesLeft, startBotboxServer } from "../support/botbox-server.js";
import { removeServer } from "../support/bots.js";

describe("botbox serve: a start whose agent does not answer in time", () => {
  let server: BotboxServer | undefined;

  before(async () => {
    // Shorter than any agent takes to answer, as on a host too slow for its
    // configured timeout: every start of this server fails.
    server = await startBotboxServer({ env: { BOTBOX_RUNTIME_START_TIMEOUT_SECONDS: "0.001" } });
  });
  after(() => removeServer(server, ["late"]));

  it("answers 503 saying why, leaves the status error and no task, and records start_failed", async () => {
    assert.ok(server);
    assert.equal((await server.api("POST", "/bots", { id: "late", name: "late" })).status, 201);
    for (const route of ["/bots/late/container", "/bots/late/container/start"]) {
      const failed = await server.api("POST", route);
      assert.equal(failed.status, 503, `${route}: ${JSON.stringify(failed.body)}`);
      assert.equal(failed.body.error.code, "unavailable");
      assert.match(failed.body.error.message, /the agent of bot late did not answer within 1 ms/);
      const state = await server.api("GET", "/bots/late/container");
      assert.deepEqual([state.body.status, state.body.task_running, state.body.pid], ["error", false, null]);
      assert.deepEqual(await sandboxProcessesLeft(server.home, "late"), [], "a failed start left its task running");
    }
    const events = (await server.api("GET", "/bots/late/container/events")).body.events as {
      type: string;
      payload: { error?: string };
    }[];
    const failures = events.filter((event) => event.type === "start_failed");
    assert.equal(failures.length, 2, JSON.stringify(events));
    assert.match(failures[0]!.payload.error ?? "", /did not answer within 1 ms/);
    assert.ok(!events.some((event) => event.type === "container_start"), JSON.stringify(events));
    assert.equal((await server.api("POST", "/bots/late/container/exec", { command: "true" })).status, 503);
  });
});
