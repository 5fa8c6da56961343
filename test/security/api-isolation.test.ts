// A default `botbox serve`, tried as a new user would (issue 13 §1-§3): a bot
// created with nothing but a name is isolated, has limits, and cannot reach
// the botbox API; egress rules are checked and shown; a host-network bot,
// the explicit opt-in, can reach the API (so the test can fail).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { findRunsc } from "../../packages/server/src/runtime/sandbox/gvisor/runsc.js";
import { type BotboxServer, startBotboxServer, TEST_RUNTIME } from "../support/botbox-server.js";
import { removeServer } from "../support/bots.js";
import { hostAddress } from "./support.js";

const asRoot = process.getuid?.() === 0;

describe(`a default server's bots (${TEST_RUNTIME})`, { skip: !asRoot && "isolated networking needs root" }, () => {
  let server: BotboxServer;
  const bots: string[] = [];
  const create = async (body: Record<string, unknown>) => {
    const created = await server.api("POST", "/bots", body);
    if (created.status === 201) bots.push(created.body.id);
    return created;
  };
  const canReach = async (botId: string, host: string, port: number) => {
    const result = await server.api("POST", `/bots/${botId}/container/exec`, {
      command: `timeout 5 bash -c 'exec 3<>/dev/tcp/${host}/${port}' && echo reached`,
    });
    assert.equal(result.status, 200, JSON.stringify(result.body));
    return String(result.body.stdout).includes("reached");
  };

  before(async () => {
    // On every address, so "the host's address" names the API too.
    server = await startBotboxServer({ env: { BOTBOX_HOST: "0.0.0.0" } });
  });
  after(() => removeServer(server, bots));

  it("gives a bot that asks for nothing the isolated network and the default limits", async () => {
    const created = await create({ id: "plain", name: "plain" });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.network, "isolated");
    assert.deepEqual(created.body.egress, { allow: null, deny: [] });
    assert.deepEqual(created.body.limits, {
      memory_bytes: 2 * 2 ** 30,
      pids: 1024,
      cpus: 1,
      // Every backend enforces the default disk quota.
      disk_bytes: 10 * 2 ** 30,
    });
    assert.deepEqual((await server.api("GET", "/bots/plain")).body, created.body);
  });

  it("keeps the server's botbox API out of a default bot's reach; a host-network bot reaches it", async () => {
    await create({ id: "opted-in", name: "opted-in", network: "host" });
    for (const id of ["plain", "opted-in"])
      assert.equal((await server.api("POST", `/bots/${id}/container`)).status, 201);
    const port = Number(new URL(server.url).port);
    for (const host of ["127.0.0.1", hostAddress()])
      assert.equal(await canReach("plain", host, port), false, `a default bot reached the API at ${host}`);
    if (TEST_RUNTIME === "sandbox") assert.equal(await canReach("opted-in", "127.0.0.1", port), true);
  });

  it("checks, normalises and shows egress rules", async () => {
    const created = await create({
      id: "listed",
      name: "listed",
      egress: { allow: ["10.9.0.0/16", "Example.ORG", "1.2.3.4"], deny: ["1.2.3.4/32"] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.egress, {
      allow: ["10.9.0.0/16", "example.org", "1.2.3.4/32"],
      deny: ["1.2.3.4/32"],
    });
    const nothing = await create({ id: "sealed", name: "sealed", egress: { allow: [] } });
    assert.deepEqual(nothing.body.egress, { allow: [], deny: [] });
  });

  it("refuses a bad egress entry, or rules for a network they cannot apply to, with a 400 naming it", async () => {
    for (const [egress, network, named] of [
      [{ allow: ["10.0.0.0/33"] }, undefined, "10.0.0.0/33"],
      [{ deny: ["not a host"] }, undefined, "not a host"],
      [{ allow: ["*.example.org"] }, undefined, "*.example.org"],
      [{ deny: ["1.2.3.4"] }, "host", "isolated"],
      [{ allow: [] }, "none", "isolated"],
      [{ allow: "1.2.3.4" }, undefined, "allow"],
    ] as const) {
      const refused = await create({ name: "bad", egress, ...(network ? { network } : {}) });
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.ok(JSON.stringify(refused.body).includes(named), `${JSON.stringify(refused.body)} names ${named}`);
    }
    assert.equal(
      (await server.api("GET", "/bots")).body.bots.filter((bot: { name: string }) => bot.name === "bad").length,
      0,
    );
  });

  it(
    "runs a bot that asks for gVisor under gVisor, with its /data, limits and network",
    { skip: !findRunsc() && "runsc is not installed" },
    async () => {
      const created = await create({ id: "guarded", name: "guarded", isolation: "gvisor" });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.isolation, "gvisor");
      assert.equal((await server.api("POST", "/bots/guarded/container")).status, 201);
      const run = async (command: string) =>
        (await server.api("POST", "/bots/guarded/container/exec", { command })).body as { stdout: string };
      assert.match((await run("dmesg | head -1")).stdout, /gVisor/, "the bot's kernel is gVisor's");
      assert.equal((await run("echo kept > /data/k && cat /data/k")).stdout.trim(), "kept");
      const port = Number(new URL(server.url).port);
      assert.equal(await canReach("guarded", hostAddress(), port), false, "the API stays out of reach");
      assert.equal((await server.api("POST", "/bots/guarded/container/stop", {})).status, 200);
    },
  );
});
