/**
 * limits.diskBytes on containerd (containerd/bot-disk.ts): /data, /run/botbox
 * and the writable overlay's upper folder share one loop-mounted ext4 image;
 * past it, writes fail with ENOSPC inside the bot, the bot keeps answering,
 * a neighbour is untouched and the host's disk holds no more than the quota.
 * A bot without a quota writes past the same size, so the test can fail.
 * Sizes stay small (96 MiB quota, 128 MiB writes).
 */
import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";

import { DEFAULT_AGENT_IMAGE } from "../../packages/server/src/runtime/docker/defaults.js";
import type { ContainerSpec } from "../../packages/server/src/runtime/runtime.js";
import { fill, mounted, QUOTA, sharedDiskQuotaTests } from "./container-disk-quota.js";
import { containerdSuite, containerdUnavailable } from "./containerd-support.js";
import { botSpec, waitForAgent } from "./support.js";

const unavailable =
  (await containerdUnavailable()) ?? (process.getuid?.() !== 0 ? "the disk quota needs root (loop mounts)" : undefined);

describe("containerd runtime: disk quota", { skip: unavailable, timeout: 900_000 }, () => {
  const suite = containerdSuite({ startTimeoutMs: 60_000 });
  sharedDiskQuotaTests(suite, "/root/big");
  const { janitor, started } = suite;
  const sh = suite.output;
  const allocated = async (file: string) => (await stat(file)).blocks * 512;
  const botRoot = (spec: ContainerSpec) => path.join(suite.home, "bots", spec.botId);

  it("is offered here (root, mkfs.ext4, loop, overlayfs) and doctor says how; another snapshotter refuses it", async () => {
    assert.equal(suite.runtime.capabilities.diskQuota, true);
    const check = (await suite.runtime.doctor()).find((entry) => entry.name === "disk quota");
    assert.match(check?.detail ?? "", /loop-mounted ext4 image per bot/);
    const native = await suite.open({ snapshotter: "native" });
    assert.equal(native.capabilities.diskQuota, false);
    const spec = botSpec({ image: DEFAULT_AGENT_IMAGE, limits: { diskBytes: QUOTA } });
    await assert.rejects(native.createContainer(spec), /needs the overlayfs snapshotter/);
  });

  it("a write past the quota fails with ENOSPC in /data, /, /tmp and /root; the bot and a neighbour keep going", async () => {
    const [spec, client] = await started({ limits: { diskBytes: QUOTA } });
    const [, neighbour] = await started();
    assert.match(await sh(client, fill("/data/big")), /No space left on device/);
    assert.equal((await client.info()).botId, spec.botId);
    const image = path.join(botRoot(spec), "disk.img");
    assert.ok((await allocated(image)) <= QUOTA, "the image holds no more than the quota on the host");
    // The layer shares the quota: full while /data is, and bounded on its own once /data is emptied.
    assert.match(await sh(client, fill("/root/while-full")), /No space left on device/);
    // The neighbour (no quota) writes while this bot is full.
    assert.equal(await sh(neighbour, "echo ok > /data/n && cat /data/n"), "ok");
    await sh(client, "rm -f /data/big /root/while-full");
    for (const file of ["/root/big", "/tmp/big", "/big"]) {
      assert.match(await sh(client, fill(file)), /No space left on device/, file);
      await sh(client, `rm -f ${file}; sync`);
    }
    assert.equal(await sh(client, "echo fine > /root/after && cat /root/after"), "fine");
    assert.ok((await allocated(image)) <= QUOTA);
  });

  it("the layer on the image is the bot's: owned by its shifted range, not host root", async () => {
    const [spec, client] = await started({ limits: { diskBytes: QUOTA } });
    await sh(client, "echo mine > /root/owned && echo mine > /data/owned");
    const layer = path.join(botRoot(spec), "disk", "layer", "upper", "root", "owned");
    assert.ok((await stat(layer)).uid >= 2 ** 28, "a file of the bot's root belongs to its range on the host");
    assert.ok((await stat(path.join(botRoot(spec), "disk", "data", "owned"))).uid >= 2 ** 28);
  });

  it("keeps files across stop, snapshot, a new runtime instance and restore; past the quota still fails", async () => {
    const [spec, client] = await started({ limits: { diskBytes: QUOTA } });
    await sh(client, "echo layer > /root/kept && echo data > /data/kept && rm /etc/hostname");
    await suite.runtime.stopTask(spec.id, { timeoutMs: 5_000 });
    await suite.runtime.commitSnapshot(spec.id, "one");
    const later = await suite.open();
    await later.startTask(spec.id);
    const again = janitor.client(await waitForAgent(later, spec.id, 60_000));
    assert.equal(await sh(again, "cat /root/kept /data/kept; test -e /etc/hostname || echo gone"), "layer\ndata\ngone");
    assert.match(await sh(again, fill("/root/big")), /No space left on device/);
    // The layer is left full: the restore must drop it before /data is copied back onto the image.
    await sh(again, "rm -f /root/kept /data/kept; echo later > /root/later; dd if=/dev/zero of=/root/rest bs=4k; sync");
    await later.stopTask(spec.id, { timeoutMs: 5_000 });
    const discarded = path.join(botRoot(spec), "disk", "layer", "upper", "root", "big");
    await stat(discarded);
    await later.restoreSnapshot(spec.id, "one");
    // The discarded layer left the image at the restore, not at the next start: it no longer takes quota.
    await assert.rejects(stat(discarded), /ENOENT/);
    await later.startTask(spec.id);
    const restored = janitor.client(await waitForAgent(later, spec.id, 60_000));
    assert.equal(
      await sh(
        restored,
        "cat /root/kept /data/kept; test -e /root/later || echo no-later; test -e /etc/hostname || echo gone",
      ),
      "layer\ndata\nno-later\ngone",
    );
    assert.match(await sh(restored, fill("/root/big")), /No space left on device/);
    await sh(restored, "rm -f /root/big");
    assert.deepEqual(
      (await later.listSnapshots(spec.id)).map((snapshot) => snapshot.name),
      ["one"],
    );
  });

  it("a task restart keeps the layer; keepData keeps the image for the next container; discard removes it", async () => {
    const [spec, client] = await started({ limits: { diskBytes: QUOTA } });
    await sh(client, "echo layer > /root/kept && echo data > /data/kept");
    await suite.runtime.stopTask(spec.id, { timeoutMs: 5_000 });
    const again = await suite.startedAgain(spec);
    assert.equal(await sh(again, "cat /root/kept /data/kept"), "layer\ndata");
    await suite.runtime.stopTask(spec.id, { timeoutMs: 5_000 });
    await suite.runtime.deleteContainer(spec.id, { keepData: true });
    assert.ok(!(await mounted(botRoot(spec))), "nothing of the bot stays mounted");
    await stat(path.join(botRoot(spec), "disk.img"));
    await suite.runtime.createContainer(spec);
    const next = await suite.startedAgain(spec);
    assert.equal(await sh(next, "cat /root/kept /data/kept"), "layer\ndata");
    await suite.runtime.stopTask(spec.id, { timeoutMs: 5_000 });
    await suite.runtime.deleteContainer(spec.id, { keepData: true });
    await suite.runtime.discardKeptData(spec.botId);
    await assert.rejects(stat(botRoot(spec)), /ENOENT/);
    assert.ok(!(await mounted(botRoot(spec))));
  });

  it("a quota given, grown and taken away across keepData re-creates keeps every file", async () => {
    const [spec, client] = await started();
    await sh(client, "echo layer > /root/kept && echo data > /data/kept");
    const recreate = async (limits: ContainerSpec["limits"]) => {
      await suite.runtime.stopTask(spec.id, { timeoutMs: 5_000 });
      await suite.runtime.deleteContainer(spec.id, { keepData: true });
      await suite.runtime.createContainer({ ...spec, limits });
      await suite.runtime.startTask(spec.id);
      return janitor.client(await waitForAgent(suite.runtime, spec.id, 60_000));
    };
    const quota = await recreate({ diskBytes: QUOTA });
    assert.equal(await sh(quota, "cat /root/kept /data/kept"), "layer\ndata");
    assert.match(await sh(quota, fill("/data/big")), /No space left on device/);
    await sh(quota, "rm -f /data/big");
    // Grown to 192 MiB: the same 128 MiB now fits.
    const grown = await recreate({ diskBytes: 2 * QUOTA });
    assert.match(await sh(grown, `${fill("/data/big")}; rm -f /data/big`), /exit 0/);
    assert.equal(await sh(grown, "cat /root/kept /data/kept"), "layer\ndata");
    const none = await recreate({});
    assert.equal(await sh(none, "cat /root/kept /data/kept"), "layer\ndata");
    await assert.rejects(stat(path.join(botRoot(spec), "disk.img")), /ENOENT/);
    assert.ok(!(await mounted(botRoot(spec))));
  });

  it("bounds a gVisor bot the same way", async (t) => {
    if (!suite.runtime.capabilities.gvisor) return t.skip("runsc is not installed");
    const [spec, client] = await started({ isolation: "gvisor", limits: { diskBytes: QUOTA } });
    assert.match(await sh(client, fill("/data/big")), /No space left on device/);
    await sh(client, "rm /data/big");
    assert.match(await sh(client, fill("/root/big")), /No space left on device/);
    assert.equal((await client.info()).botId, spec.botId);
  });
});
