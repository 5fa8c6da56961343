// The server's default limits on a backend that cannot hold them: left out,
// not claimed. The FakeRuntime declares resourceLimits: false and refuses any
// limit in a spec, so a bot that starts under default limits shows they were
// left out, and one with its own limits shows they still reach the backend.
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { pino } from "pino";

import { makeHome } from "../../../../test/runtime/support.js";
import { FAKE_IMAGE, FakeRuntime } from "../../../../test/support/fake-runtime.js";
import { BadRequestError } from "../errors.js";
import type { ContainerRuntime, ResourceLimits } from "../runtime/runtime.js";
import { openStore, type Store } from "../store/index.js";
import { BotManager } from "./bot-manager.js";
import { storeRecords } from "./store-records.js";

const DEFAULTS: ResourceLimits = { memoryBytes: 512 * 2 ** 20, pids: 256, cpus: 1, diskBytes: 2 ** 30 };

describe("default limits the backend cannot hold", () => {
  let home: string;
  let store: Store;
  let runtime: FakeRuntime;
  let manager: BotManager;

  const managerOver = (over: ContainerRuntime) =>
    new BotManager({
      runtime: over,
      records: storeRecords(store),
      image: FAKE_IMAGE,
      network: "host",
      limits: DEFAULTS,
      startTimeoutMs: 15_000,
      logger: pino({ level: "silent" }),
    });

  before(async () => {
    home = await makeHome();
    store = await openStore({ sqlitePath: path.join(home, "botbox.db") });
    runtime = new FakeRuntime({ home });
    manager = managerOver(runtime);
  });
  after(async () => {
    for (const bot of await store.listBots()) await manager.deleteContainer(bot.id).catch(() => undefined);
    await manager.close();
    await store.close();
    await rm(home, { recursive: true, force: true });
  });

  it("are left out, so the bot starts without claiming them", async () => {
    assert.equal(manager.resourceLimits, false);
    await store.createBot({ id: "plain", displayName: "plain" });
    const bot = (await storeRecords(store).getBot("plain"))!;
    assert.deepEqual(manager.settingsOf(bot).limits, {});
    assert.equal((await manager.start("plain")).taskRunning, true);
  });

  it("a bot's own limits still reach the backend, which refuses them by name", async () => {
    await store.createBot({ id: "own", displayName: "own", config: { limits: { pids: 64 } } });
    await assert.rejects(
      manager.start("own"),
      (error: unknown) => error instanceof BadRequestError && /pids/.test(error.message),
    );
  });

  it("are kept where the backend holds them, or does not say", () => {
    for (const resourceLimits of [true, undefined]) {
      const declaring = Object.create(runtime, {
        capabilities: { value: { ...runtime.capabilities, resourceLimits, diskQuota: true } },
      }) as ContainerRuntime;
      const bot = { id: "any", name: "any", createdAt: new Date(), autoStart: false };
      assert.deepEqual(managerOver(declaring).settingsOf(bot).limits, DEFAULTS, String(resourceLimits));
    }
  });
});
