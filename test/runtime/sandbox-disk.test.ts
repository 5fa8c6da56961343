// The sandbox's disk quota as a runtime sees it: a loop-mounted file system
// per bot that lives from creation to deletion, survives a new runtime on the
// same home (a server restart), is kept with keepData and adopted again, and
// leaves no mount or loop device behind when the bot goes.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { access } from "node:fs/promises";
import { describe, it } from "node:test";
import { promisify } from "node:util";

import { botPaths } from "../../packages/server/src/runtime/sandbox/layout.js";
import { isMountPoint } from "../../packages/server/src/runtime/sandbox/state/mounts.js";
import { botSpec, sandboxSuite } from "./support.js";

const run = promisify(execFile);
const asRoot = process.getuid?.() === 0;
const QUOTA = 64 * 2 ** 20;

async function loopDevicesOf(image: string): Promise<string> {
  return (await run("losetup", ["-j", image])).stdout.trim();
}

describe("sandbox disk quota", { skip: !asRoot && "loop mounts need root" }, () => {
  const suite = sandboxSuite();

  it("refuses a quota below 64 MiB, naming the minimum", async () => {
    const spec = botSpec({ limits: { diskBytes: 2 ** 20 } });
    await assert.rejects(suite.runtime.createContainer(spec), /at least 67108864/);
  });

  it("mounts the bot's state from its image, across a server restart, and removes both with the bot", async () => {
    const spec = await suite.created({ limits: { diskBytes: QUOTA } });
    const paths = botPaths(suite.home, spec.botId);
    assert.ok(await isMountPoint(paths.state), "state/ is a mount point");
    const client = await suite.startedAgain(spec);
    // The agent's log is on the quota too: the bot can make its agent log, never past the quota.
    assert.ok(paths.log.startsWith(`${paths.state}/`));
    await access(paths.log);
    const df = await client.exec("df -B1 --output=size /data | tail -1");
    assert.ok(Number(df.stdout.trim()) <= QUOTA, `/data is ${df.stdout.trim()} bytes`);
    await client.writeFile("/data/kept.txt", "kept");
    await suite.runtime.stopTask(spec.id, { timeoutMs: 5_000 });
    // A host restart drops the mount: a new runtime mounts it again when it needs the state.
    await run("umount", [paths.state]);
    const again = suite.another();
    const client2 = await suite.startedAgain(spec, again);
    assert.equal((await client2.exec("cat /data/kept.txt")).stdout, "kept");
    await again.stopTask(spec.id, { timeoutMs: 5_000 });
    await again.deleteContainer(spec.id);
    assert.equal(await isMountPoint(paths.state), false);
    assert.equal(await loopDevicesOf(paths.disk).catch(() => ""), "", "no loop device left");
    await assert.rejects(access(paths.root), "the bot's folder is gone");
  });

  it("keeps the image with keepData, unmounted, and a new container adopts it with its data", async () => {
    const [spec, first] = await suite.started({ limits: { diskBytes: QUOTA } });
    const paths = botPaths(suite.home, spec.botId);
    await first.writeFile("/data/a.txt", "a");
    await suite.runtime.stopTask(spec.id, { timeoutMs: 5_000 });
    await suite.runtime.deleteContainer(spec.id, { keepData: true });
    assert.equal(await isMountPoint(paths.state), false);
    await access(paths.disk);
    await suite.runtime.createContainer(spec);
    const client = await suite.startedAgain(spec);
    assert.equal((await client.exec("cat /data/a.txt")).stdout, "a");
  });
});
