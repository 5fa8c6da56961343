/**
 * limits.diskBytes on Docker (bot-disk.ts): /data and the container's
 * writable layer share one loop-mounted ext4 image; past it, writes fail
 * with ENOSPC inside the bot, the bot keeps answering, and the host's disk
 * holds no more than the quota. A bot without a quota writes past the same
 * size, so the test can fail. Sizes stay small (96 MiB quota, 128 MiB writes).
 */
import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";

import { fill, QUOTA, sharedDiskQuotaTests } from "./container-disk-quota.js";
import { dockerClient, dockerSuite, dockerUnavailable } from "./docker-support.js";
import { waitForAgent } from "./support.js";

const unavailable =
  (await dockerUnavailable()) ?? (process.getuid?.() !== 0 ? "the disk quota needs root (loop mounts)" : undefined);

describe("docker runtime: disk quota", { skip: unavailable }, () => {
  const suite = dockerSuite();
  sharedDiskQuotaTests(suite, "/data/big");
  const { janitor, sh } = suite;
  const started = suite.started;
  const allocated = async (file: string) => (await stat(file)).blocks * 512;

  it("is offered on this daemon (overlay2, root) and doctor says how it is enforced", async () => {
    assert.equal((await suite.runtime.detectCapabilities()).diskQuota, true);
    const check = (await suite.runtime.doctor()).find((entry) => entry.name === "disk quota");
    assert.match(check?.detail ?? "", /loop-mounted ext4/);
  });

  it("a write past the quota fails with ENOSPC in /data and in the writable layer; the bot keeps answering", async () => {
    const [spec, client] = await started({ limits: { diskBytes: QUOTA } });
    assert.match(await sh(client, fill("/data/big")), /No space left on device/);
    assert.equal((await client.info()).botId, spec.botId);
    const image = path.join(suite.home, "bots", spec.botId, "disk.img");
    assert.ok((await allocated(image)) <= QUOTA, "the image holds no more than the quota on the host");
    // The layer shares the quota: full while /data is, and bounded on its own once /data is emptied.
    assert.match(await sh(client, fill("/root/while-full")), /No space left on device/);
    await sh(client, "rm /data/big /root/while-full");
    assert.match(await sh(client, fill("/root/big")), /No space left on device/);
    assert.match(await sh(client, fill("/tmp/big")), /No space left on device/);
    await sh(client, "rm -f /root/big /tmp/big; sync");
    assert.equal(await sh(client, "echo fine > /root/after && cat /root/after"), "fine");
    assert.ok((await allocated(image)) <= QUOTA);
  });

  it("keeps the layer on the quota across stop, snapshot, restore and a new runtime instance", async () => {
    const [spec, client] = await started({ limits: { diskBytes: QUOTA } });
    await sh(client, "echo layer > /root/kept && echo data > /data/kept");
    await suite.runtime.stopTask(spec.id, { timeoutMs: 5_000 });
    await suite.runtime.commitSnapshot(spec.id, "one");
    const later = suite.another();
    await later.startTask(spec.id);
    const again = janitor.client(await waitForAgent(later, spec.id));
    assert.equal(await sh(again, "cat /root/kept /data/kept"), "layer\ndata");
    assert.match(await sh(again, fill("/root/big")), /No space left on device/);
    await sh(again, "rm -f /root/big /root/kept /data/kept");
    await later.stopTask(spec.id, { timeoutMs: 5_000 });
    await later.restoreSnapshot(spec.id, "one");
    await later.startTask(spec.id);
    const restored = janitor.client(await waitForAgent(later, spec.id));
    assert.equal(await sh(restored, "cat /root/kept /data/kept"), "layer\ndata");
    const upper = (
      (await dockerClient().getContainer(spec.id).inspect()).GraphDriver.Data as unknown as { UpperDir: string }
    ).UpperDir;
    assert.match(await sh(restored, `${fill("/root/big")}`), /No space left on device/);
    await sh(restored, "rm -f /root/big");
    assert.ok(upper.length > 0);
    await later.close();
  });

  it("bounds a gVisor bot the same way", async (t) => {
    if (!(await suite.runtime.detectCapabilities()).gvisor) return t.skip("the daemon has no runsc runtime");
    const [spec, client] = await started({ isolation: "gvisor", limits: { diskBytes: QUOTA } });
    assert.match(await sh(client, fill("/data/big")), /No space left on device/);
    await sh(client, "rm /data/big");
    assert.match(await sh(client, fill("/root/big")), /No space left on device/);
    assert.equal((await client.info()).botId, spec.botId);
  });
});
