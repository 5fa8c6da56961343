// POST /bots on a sandbox server that cannot apply cgroup limits (it does not
// run as root, so it makes no cgroups): a bot asking for memory, pids or cpu
// limits is refused with a 400 naming them, and nothing is registered. The
// same request without the limits is accepted by that server, so the refusal
// is the limits' and not the unprivileged server's; a root server applies
// them (test/http/bot-settings.test.ts reads pids.max from the bot's cgroup).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { type BotboxServer, sandboxOnly, startBotboxServer } from "../support/botbox-server.js";
import { removeServer } from "../support/bots.js";

const NOBODY = 65534;

describe(
  "botbox serve without root: limits it cannot hold",
  sandboxOnly("Docker and containerd apply limits through their own daemons"),
  () => {
    let server: BotboxServer;
    // Network "none": an isolated network needs root, and is not what is tested here.
    const register = (id: string, limits?: Record<string, number>) =>
      server.api("POST", "/bots", { id, name: id, network: "none", ...(limits ? { limits } : {}) });

    before(async () => {
      server = await startBotboxServer({ asUser: NOBODY });
    });
    after(() => removeServer(server, ["plain"]));

    for (const [limit, value] of [
      ["memory_bytes", 64 * 2 ** 20],
      ["pids", 64],
      ["cpus", 0.5],
    ] as const)
      it(`refuses limits.${limit} with a 400 naming it, and registers nothing`, async () => {
        const refused = await register(`limited-${limit.replace("_", "-")}`, { [limit]: value });
        assert.equal(refused.status, 400, JSON.stringify(refused.body));
        assert.equal(refused.body.error.code, "bad_request");
        assert.match(refused.body.error.message, new RegExp(`^limits\\.${limit}: .*cannot enforce them`));
        assert.deepEqual((await server.api("GET", "/bots")).body.bots, []);
      });

    it("names every refused limit of one request", async () => {
      const refused = await register("limited-all", { memory_bytes: 64 * 2 ** 20, pids: 64, cpus: 1 });
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.match(refused.body.error.message, /^limits\.memory_bytes, limits\.pids, limits\.cpus: /);
    });

    it("registers the same bot without the limits, showing none it does not hold", async () => {
      const created = await register("plain");
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(
        { memory: created.body.limits.memory_bytes, pids: created.body.limits.pids, cpus: created.body.limits.cpus },
        { memory: null, pids: null, cpus: null },
        "the server's default limits are left out, not claimed",
      );
    });
  },
);
