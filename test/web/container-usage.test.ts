// A running bot's resource use in GET /bots/:bot_id/container, which the
// console's bots page shows: what the kernel counts in the bot's cgroups,
// moving with what the bot does, on every backend (the sandbox's own cgroup,
// Docker's and containerd's container cgroup); null where nothing is counted.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { detectCgroups } from "../../packages/server/src/runtime/sandbox/cgroups.js";
import { type BotboxServer, startBotboxServer, TEST_RUNTIME } from "../support/botbox-server.js";
import { addBots, removeServer } from "../support/bots.js";

const BOT = "usage-a";
const MIB = 2 ** 20;

interface Usage {
  memory_bytes: number | null;
  processes: number | null;
}

describe("a bot's resource use", { timeout: 120_000 }, () => {
  let server: BotboxServer;
  let counted: string | undefined;
  const usage = async (): Promise<Usage | null> => (await server.api("GET", `/bots/${BOT}/container`)).body.usage;

  before(async () => {
    // Docker and containerd always put a container in cgroups of its own; the sandbox only as root.
    const cgroups = await detectCgroups();
    if (TEST_RUNTIME === "sandbox" && cgroups.mode === "none") counted = `no cgroups here: ${cgroups.reason}`;
    server = await startBotboxServer();
    await addBots(server, [BOT]);
  });
  after(() => removeServer(server, [BOT]));

  it("counts the memory and processes a bot takes, and follows them as they change", async (t) => {
    if (counted) {
      assert.equal(await usage(), null, "a backend that counts nothing says so: null, not a guess");
      return t.skip(counted);
    }
    const idle = (await usage())!;
    assert.ok(idle.memory_bytes! > 0, JSON.stringify(idle));
    assert.ok(idle.processes! >= 1, JSON.stringify(idle));
    // 96 MiB touched and held, in 3 more processes.
    const hog = await server.api("POST", `/bots/${BOT}/processes`, {
      command:
        "node -e 'globalThis.b = Buffer.alloc(96 * 2 ** 20, 1); setInterval(() => {}, 1000)' & sleep 300 & sleep 300 & wait",
      tag: "hog",
    });
    assert.equal(hog.status, 201, JSON.stringify(hog.body));
    const deadline = Date.now() + 30_000;
    let busy = (await usage())!;
    while (busy.memory_bytes! - idle.memory_bytes! < 80 * MIB && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      busy = (await usage())!;
    }
    assert.ok(busy.memory_bytes! - idle.memory_bytes! >= 80 * MIB, `${JSON.stringify(idle)} → ${JSON.stringify(busy)}`);
    assert.ok(busy.processes! >= idle.processes! + 3, `${JSON.stringify(idle)} → ${JSON.stringify(busy)}`);
    await server.api("POST", `/bots/${BOT}/processes/hog/signal`, { signal: "KILL" });
  });

  it("reports none for a stopped bot", async () => {
    const stopped = await server.api("POST", `/bots/${BOT}/container/stop`, {});
    assert.equal(stopped.status, 200, JSON.stringify(stopped.body));
    assert.equal(await usage(), null);
  });
});
