// PATCH /bots/:bot_id (issue 13 §1-§3): a stopped bot's network, egress rules
// and limits change and take effect at its next start; a running bot must be
// stopped first; what cannot change in place is refused with the reason.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";

import { type BotboxServer, sandboxOnly, startBotboxServer } from "../support/botbox-server.js";
import { removeServer } from "../support/bots.js";

describe(
  "botbox serve: changing a bot's settings",
  sandboxOnly("the sandbox changes a stopped container in place"),
  () => {
    let server: BotboxServer;
    const exec = async (id: string, command: string) =>
      (await server.api("POST", `/bots/${id}/container/exec`, { command })).body as { stdout: string };

    before(async () => {
      server = await startBotboxServer();
      assert.equal((await server.api("POST", "/bots", { id: "tuned", name: "tuned" })).status, 201);
      assert.equal((await server.api("POST", "/bots", { id: "fresh", name: "fresh" })).status, 201);
      assert.equal((await server.api("POST", "/bots/tuned/container")).status, 201);
    });
    after(() => removeServer(server, ["tuned", "fresh"]));

    it("refuses to change a running bot, and changes nothing", async () => {
      const refused = await server.api("PATCH", "/bots/tuned", { network: "none" });
      assert.equal(refused.status, 409, JSON.stringify(refused.body));
      assert.match(refused.body.error.message, /stop it/);
      assert.equal((await server.api("GET", "/bots/tuned")).body.network, "isolated");
    });

    it("changes a stopped bot's network and limits for its next start", async () => {
      assert.equal((await server.api("POST", "/bots/tuned/container/stop", {})).status, 200);
      const changed = await server.api("PATCH", "/bots/tuned", {
        name: "retuned",
        network: "none",
        limits: { pids: 64 },
      });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      assert.equal(changed.body.takes_effect, "next_start");
      assert.equal(changed.body.name, "retuned");
      assert.equal(changed.body.network, "none");
      assert.equal(changed.body.limits.pids, 64);
      assert.equal(changed.body.limits.memory_bytes, 2 * 2 ** 30, "the other limits keep their defaults");
      assert.equal((await server.api("POST", "/bots/tuned/container/start")).status, 200);
      const interfaces = (await exec("tuned", "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '")).stdout.trim();
      assert.equal(interfaces, "lo", "network none: loopback only");
      const pidsMax = await readFile("/sys/fs/cgroup/botbox/mcp-tuned/pids.max", "utf8").catch(() => undefined);
      if (pidsMax !== undefined) assert.equal(pidsMax.trim(), "64");
    });

    it("takes egress rules for an isolated bot, and refuses a bad entry or a quota resize, naming them", async () => {
      assert.equal((await server.api("POST", "/bots/tuned/container/stop", {})).status, 200);
      const isolated = await server.api("PATCH", "/bots/tuned", {
        network: "isolated",
        egress: { allow: ["10.1.0.0/16"] },
      });
      assert.equal(isolated.status, 200, JSON.stringify(isolated.body));
      assert.deepEqual(isolated.body.egress, { allow: ["10.1.0.0/16"], deny: [] });
      const bad = await server.api("PATCH", "/bots/tuned", { egress: { deny: ["no such thing"] } });
      assert.equal(bad.status, 400);
      assert.match(JSON.stringify(bad.body), /no such thing/);
      const resize = await server.api("PATCH", "/bots/tuned", { limits: { disk_bytes: 2 ** 30 } });
      assert.equal(resize.status, 400, JSON.stringify(resize.body));
      assert.match(resize.body.error.message, /disk_bytes/);
      assert.deepEqual((await server.api("GET", "/bots/tuned")).body.limits.disk_bytes, 10 * 2 ** 30, "unchanged");
    });

    it("applies to a bot without a container at its first one, and 404s an unknown bot", async () => {
      const changed = await server.api("PATCH", "/bots/fresh", { isolation: "namespaces", limits: { cpus: 0.5 } });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      assert.equal(changed.body.takes_effect, "next_container");
      assert.equal((await server.api("PATCH", "/bots/nobody", { network: "none" })).status, 404);
    });
  },
);
