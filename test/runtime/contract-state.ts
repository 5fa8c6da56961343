/**
 * The runtime contract, part two: a bot's state outlives the runtime
 * instance that made it, a snapshot holds the bot's whole writable state
 * (not only /data), and `upgradeContainer`, an optional capability, moves a
 * bot onto a rebuilt image keeping /data.
 */
import assert from "node:assert/strict";

import { BOT_LABEL } from "../../packages/server/src/runtime/runtime.js";
import type { ContractContext } from "./contract-context.js";
import { imageTarVariant } from "./image-tars.js";
import { waitForAgent } from "./support.js";

export function runStateContract(context: ContractContext): void {
  const { janitor, options, started, sh, test } = context;

  test("a new runtime instance on the same state finds the running bot, its agent answers, and it stops it", async () => {
    const { runtime } = context;
    const [created, client] = await started();
    await client.writeFile("before.txt", "written before the restart");
    const task = await runtime.taskInfo(created.id);
    const later = await options.reopen(runtime);
    try {
      assert.deepEqual(
        (await later.listContainers({ [BOT_LABEL]: created.botId })).map((info) => info.id),
        [created.id],
      );
      const found = await later.taskInfo(created.id);
      assert.deepEqual([found.state, found.pid], ["running", task.pid], "the same task, not a new one");
      assert.equal((await later.agentEndpoint(created.id))?.token, created.agentToken);
      const again = janitor.client(await waitForAgent(later, created.id));
      assert.equal((await again.info()).botId, created.botId);
      assert.equal((await again.readFile("before.txt")).content, "     1\twritten before the restart\n");
      assert.equal((await later.stopTask(created.id, { timeoutMs: 5_000 })).state, "stopped");
      assert.equal((await runtime.taskInfo(created.id)).state, "stopped", "both instances see one state");
    } finally {
      await later.close();
    }
  });

  test("a snapshot keeps the root file system's changes as well as /data, and restore brings both back", async (t) => {
    if (!context.confined()) {
      t.skip("the backend's bots have no root file system of their own (capabilities.confined is false)");
      return;
    }
    const { runtime } = context;
    // /root is writable on every confined backend; / itself is read-only on the sandbox.
    const [created, client] = await started();
    await sh(client, "echo data-v1 > /data/notes.txt; echo layer-v1 > /root/layer.txt");
    await runtime.stopTask(created.id);
    await runtime.commitSnapshot(created.id, "first");
    let agent = await context.startedAgain(created.id);
    await sh(agent, "echo data-v2 > /data/notes.txt; echo layer-v2 > /root/layer.txt; touch /data/extra /root/extra");
    await runtime.stopTask(created.id);
    await runtime.commitSnapshot(created.id, "second");
    assert.deepEqual(
      (await runtime.listSnapshots(created.id)).map(({ name, parent }) => [name, parent]),
      [
        ["first", undefined],
        ["second", "first"],
      ],
    );
    await runtime.restoreSnapshot(created.id, "first");
    agent = await context.startedAgain(created.id);
    assert.equal(
      await sh(agent, "cat /data/notes.txt /root/layer.txt; ls /data/extra /root/extra 2>/dev/null; echo end"),
      "data-v1\nlayer-v1\nend",
    );
    await runtime.stopTask(created.id);
    await runtime.restoreSnapshot(created.id, "second");
    agent = await context.startedAgain(created.id);
    assert.equal(
      await sh(agent, "cat /data/notes.txt /root/layer.txt; ls /root/extra"),
      "data-v2\nlayer-v2\n/root/extra",
    );
  });

  test("upgrade, an optional capability: upgradeContainer moves a running bot onto a rebuilt image, keeping /data", async (t) => {
    const { runtime } = context;
    if (!runtime.upgradeContainer) {
      t.skip("the backend has no upgradeContainer");
      return;
    }
    assert.ok(options.imageTar, "a backend with upgradeContainer gives the contract its image as a tar");
    const ref = `botbox-test/upgrade-${process.pid}:1`;
    // Two builds of the image, as a rebuild leaves them: one more layer each. Variants carry no tags of
    // their own, which an import would take over from the image under test.
    const builds = [
      await imageTarVariant(options.imageTar, { files: { "opt/botbox/BUILD": "first\n" } }),
      await imageTarVariant(options.imageTar, { files: { "opt/botbox/BUILD": "second\n" } }),
    ] as const;
    try {
      await runtime.importImage(ref, builds[0].tar);
      const [created, client] = await started({ image: ref });
      await sh(client, "echo kept > /data/kept.txt");
      assert.equal(await runtime.upgradeContainer(created.id), false, "already on the image");
      // The rebuild: another image under the same ref.
      await runtime.importImage(ref, builds[1].tar);
      assert.equal(await runtime.upgradeContainer(created.id), true);
      assert.equal((await runtime.taskInfo(created.id)).state, "running", "a running bot runs again");
      const again = janitor.client(await waitForAgent(runtime, created.id));
      assert.equal(await sh(again, "cat /opt/botbox/BUILD"), "second", "the root file system is the rebuilt image's");
      assert.equal(await sh(again, "cat /data/kept.txt"), "kept");
      const info = await runtime.getContainer(created.id);
      assert.deepEqual([info?.image, info?.labels[BOT_LABEL]], [ref, created.botId]);
      assert.equal(await runtime.upgradeContainer(created.id), false, "already on the rebuilt image");
      await runtime.stopTask(created.id);
      await runtime.deleteContainer(created.id);
    } finally {
      await runtime.deleteImage(ref).catch(() => undefined);
      for (const build of builds) await build.dispose();
    }
  });
}
