// Uploads and imports cut short by a stop or a crash leave temporary files
// and work folders in /data; they are swept at start, and only what is
// provably stale: never a live transfer, never the data a failed replace
// kept on purpose.
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { type BotboxServer, newHome, startBotboxServer } from "../support/botbox-server.js";

const BOT = "sweep-bot";
const OTHER_RUN_IMPORT = ".botbox-import-0123456789ab-00000000000000aa";
const OLD_FORMAT_IMPORT = ".botbox-import-00000000000000bb";
const KEPT_REPLACE = ".botbox-import-0123456789ab-00000000000000cc";
const OLD_UPLOAD = "sub/.f.txt.botbox-aaaaaaaaaaaa.tmp";
const LIVE_UPLOAD = "sub/.g.txt.botbox-bbbbbbbbbbbb.tmp";
const ALL = [OTHER_RUN_IMPORT, OLD_FORMAT_IMPORT, KEPT_REPLACE, OLD_UPLOAD, LIVE_UPLOAD, "sub/f.txt"];

const PLANT = `set -e
mkdir -p ${OTHER_RUN_IMPORT}/new ${OLD_FORMAT_IMPORT}/new ${KEPT_REPLACE}/old sub
echo half > ${OTHER_RUN_IMPORT}/new/x
echo half > ${OLD_FORMAT_IMPORT}/new/y
echo precious > ${KEPT_REPLACE}/old/precious
echo user data > sub/f.txt
echo half > ${OLD_UPLOAD}
touch -d '2 hours ago' ${OLD_UPLOAD}
echo half > ${LIVE_UPLOAD}`;

describe("the start-up sweep of stale transfer leftovers", () => {
  let server: BotboxServer;
  const home = newHome();
  after(async () => {
    await server.api("DELETE", `/bots/${BOT}`);
    await server.stop();
    await rm(await home, { recursive: true, force: true });
  });

  const present = async (): Promise<string[]> => {
    const listing = await server.api("POST", `/bots/${BOT}/container/exec`, {
      command: ALL.map((entry) => `[ -e ${entry} ] && echo ${entry}`).join("; ") + "; true",
    });
    assert.equal(listing.status, 200, JSON.stringify(listing.body));
    return (listing.body.stdout as string).split("\n").filter(Boolean);
  };

  const sweptLog = async (): Promise<unknown> => {
    for (let i = 0; i < 100; i++) {
      const entry = server.logs.find((line) => line.msg === "swept stale upload and import leftovers");
      if (entry) return entry;
      await sleep(100);
    }
    return undefined;
  };

  it("at server start: removes other runs' import folders and uploads older than the agent; keeps the rest", async () => {
    server = await startBotboxServer({ home: await home });
    assert.equal((await server.api("POST", "/bots", { name: "sweep", id: BOT })).status, 201);
    assert.equal((await server.api("POST", `/bots/${BOT}/container`)).status, 201);
    // The sweep that follows the bot's start runs in the background: let it finish on an empty /data first.
    await sleep(3_000);
    const planted = await server.api("POST", `/bots/${BOT}/container/exec`, { command: PLANT });
    assert.equal(planted.body.exit_code, 0, JSON.stringify(planted.body));
    // Nothing sweeps them while this server runs: the control.
    await sleep(500);
    assert.deepEqual((await present()).sort(), [...ALL].sort());

    // A restart of the server; the bot and its agent keep running.
    await server.stop();
    server = await startBotboxServer({ home: await home });
    const logged = await sweptLog();
    assert.ok(logged, "no sweep was logged");
    assert.match(JSON.stringify(logged), new RegExp(`swept ./${OTHER_RUN_IMPORT}`));
    assert.deepEqual((await present()).sort(), [KEPT_REPLACE, LIVE_UPLOAD, "sub/f.txt"].sort());
  });

  it("at a bot's start after a stop: the upload its old agent left goes too; the kept replace stays", async () => {
    // The sweep tells "before the agent started" to within 2 s (whole seconds of boot time and mtime).
    await sleep(3_000);
    assert.equal((await server.api("POST", `/bots/${BOT}/container/stop`, { timeout: 1 })).status, 200);
    server.logs.length = 0;
    assert.equal((await server.api("POST", `/bots/${BOT}/container/start`)).status, 200);
    assert.ok(await sweptLog(), "no sweep was logged at the bot's start");
    assert.deepEqual((await present()).sort(), [KEPT_REPLACE, "sub/f.txt"].sort());
  });
});
