// Default limits hold (issue 13 §3, §6): with [runtime] defaults lowered to
// test size, a memory balloon loses only its own process and a process
// flood stops at the pids limit and a disk fill at the quota, while the bot keeps answering and a
// neighbour is untouched. Without the limits both attempts would succeed,
// so each test can fail. Bounded: 512 MiB of memory, 300 processes and a
// 128 MiB disk quota at most.
import assert from "node:assert/strict";
import { statfs } from "node:fs/promises";
import { after, before, describe, it } from "node:test";

import { type BotboxServer, startBotboxServer, TEST_RUNTIME } from "../support/botbox-server.js";
import { addBots, removeServer } from "../support/bots.js";

const asRoot = process.getuid?.() === 0;
const MEMORY = 256 * 2 ** 20;
const PIDS = 128;
const DISK = 128 * 2 ** 20;

describe(`default limits (${TEST_RUNTIME})`, { skip: !asRoot && "limits need root (cgroups)" }, () => {
  let server: BotboxServer;
  const exec = async (botId: string, command: string, timeout = 60) => {
    const result = await server.api("POST", `/bots/${botId}/container/exec`, { command, timeout });
    assert.equal(result.status, 200, JSON.stringify(result.body));
    return result.body as { stdout: string; stderr: string; exit_code: number };
  };

  before(async () => {
    server = await startBotboxServer({
      env: {
        BOTBOX_RUNTIME_MEMORY_BYTES: String(MEMORY),
        BOTBOX_RUNTIME_PIDS: String(PIDS),
        BOTBOX_RUNTIME_DISK_BYTES: String(DISK),
      },
    });
    await addBots(server, ["hog", "neighbour"]);
  });
  after(() => removeServer(server, ["hog", "neighbour"]));

  it("shows the defaults in force on a bot that set none", async () => {
    const { body } = await server.api("GET", "/bots/hog");
    assert.deepEqual(body.limits, { memory_bytes: MEMORY, pids: PIDS, cpus: 1, disk_bytes: DISK });
  });

  it("a memory balloon past the limit loses only its own process; the bot and its neighbour answer", async () => {
    const balloon = await exec("hog", `python3 -c "a = b'\\x01' * (512 * 2**20); print('survived')"; echo status=$?`);
    assert.doesNotMatch(balloon.stdout, /survived/, "512 MiB were allocated past a 256 MiB limit");
    assert.match(balloon.stdout, /status=137/, "killed by the kernel (SIGKILL)");
    assert.equal((await exec("hog", "echo alive")).stdout.trim(), "alive");
    assert.equal((await exec("neighbour", "echo fine")).stdout.trim(), "fine");
    // The supervisor records the kill (it looks every 2 s).
    let recorded: { type: string; payload: { killed?: number } }[] = [];
    for (let tries = 0; tries < 50 && recorded.length === 0; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const events = (await server.api("GET", "/bots/hog/container/events")).body.events as typeof recorded;
      recorded = events.filter((event) => event.type === "oom_kill");
    }
    assert.equal(recorded.length, 1, "one oom_kill event");
    assert.ok((recorded[0]!.payload.killed ?? 0) >= 1);
  });

  it("a process flood stops at the pids limit; the bot and its neighbour answer", async () => {
    const script = [
      "import os, time",
      "pids = []",
      "try:",
      "    for i in range(300):",
      "        pid = os.fork()",
      "        if pid == 0:",
      "            time.sleep(20)",
      "            os._exit(0)",
      "        pids.append(pid)",
      "except OSError as error:",
      "    print('refused', error.errno)",
      "print(len(pids))",
      "for pid in pids: os.kill(pid, 9)",
      "for pid in pids: os.waitpid(pid, 0)",
    ].join("\n");
    const flood = await exec("hog", `python3 -c "${script}"`);
    assert.match(flood.stdout, /refused 11/, "fork failed with EAGAIN");
    const count = Number(flood.stdout.trim().split("\n").at(-1));
    assert.ok(count > 0 && count <= PIDS, `${count} processes in a bot limited to ${PIDS}`);
    assert.equal((await exec("hog", "echo alive")).stdout.trim(), "alive");
    assert.equal((await exec("neighbour", "echo fine")).stdout.trim(), "fine");
  });

  it("a disk fill stops at the quota with ENOSPC; the bot, its neighbour and the host's disk are untouched", async () => {
    const hostFree = (await statfs(server.home)).bavail * (await statfs(server.home)).bsize;
    const fill = await exec("hog", "dd if=/dev/zero of=/data/fill bs=1M count=200 2>&1; echo status=$?");
    assert.match(fill.stdout, /No space left on device/, fill.stdout);
    assert.match(fill.stdout, /status=1/);
    const written = Number((await exec("hog", "stat -c %s /data/fill")).stdout.trim());
    assert.ok(written < DISK, `${written} bytes written under a ${DISK}-byte quota`);
    // The host lost at most the quota, not the 200 MiB asked for.
    const hostFreeAfter = (await statfs(server.home)).bavail * (await statfs(server.home)).bsize;
    assert.ok(hostFree - hostFreeAfter < DISK + 16 * 2 ** 20, `host disk fell by ${hostFree - hostFreeAfter}`);
    assert.equal((await exec("hog", "echo alive")).stdout.trim(), "alive");
    assert.equal((await exec("neighbour", "head -c 1M /dev/zero > /data/small && echo wrote")).stdout.trim(), "wrote");
    // Deleting gives the space back.
    assert.equal(
      (await exec("hog", "rm /data/fill && head -c 8M /dev/zero > /data/again && echo wrote")).stdout.trim(),
      "wrote",
    );
  });
});
