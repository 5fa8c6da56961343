// A bot finds nothing of the host's files (issue 13 §6): not the botbox
// home (its database and admin token), not another bot's /data, not the
// host's own /root or /tmp. Each place gets a file with a name nobody could
// guess; the bot searches its whole file system for those names and tries
// the host paths directly. The control: the same search, run in the bot that
// owns one of the files, finds it, so a search that finds nothing is a real
// result and not a broken search.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { type BotboxServer, startBotboxServer, TEST_RUNTIME } from "../support/botbox-server.js";
import { addBots, removeServer } from "../support/bots.js";

const asRoot = process.getuid?.() === 0;
const BOTS = ["prober", "holder"];

describe(
  `host files out of a bot's reach (${TEST_RUNTIME})`,
  { skip: !asRoot && "bots as host users need root" },
  () => {
    let server: BotboxServer;
    const tag = `botbox-marker-${randomBytes(8).toString("hex")}`;
    const planted: string[] = [];
    const exec = async (botId: string, command: string) => {
      const result = await server.api("POST", `/bots/${botId}/container/exec`, { command, timeout: 90 });
      assert.equal(result.status, 200, JSON.stringify(result.body));
      return result.body as { stdout: string; stderr: string; exit_code: number };
    };
    // By name, over every file system the bot has, pseudo ones aside; bounded in time.
    const search = (botId: string) =>
      exec(
        botId,
        `timeout 80 find / \\( -path /proc -o -path /sys -o -path /dev \\) -prune -o -name '${tag}*' -print 2>/dev/null; true`,
      );

    before(async () => {
      server = await startBotboxServer();
      await addBots(server, BOTS);
      for (const file of [
        path.join(server.home, `${tag}-home`),
        path.join("/root", `${tag}-root`),
        path.join("/tmp", `${tag}-tmp`),
      ]) {
        await writeFile(file, "host secret\n", { mode: 0o644 });
        planted.push(file);
      }
      assert.equal((await exec("holder", `echo neighbour > /data/${tag}-data`)).exit_code, 0);
    });
    after(async () => {
      await removeServer(server, BOTS);
      for (const file of planted) await rm(file, { force: true });
    });

    it("the owner of a file finds it by the same search (the control)", async () => {
      assert.equal((await search("holder")).stdout.trim(), `/data/${tag}-data`);
    });

    it("another bot finds none of the host's files nor its neighbour's", async () => {
      const found = await search("prober");
      assert.equal(found.stdout.trim(), "", `the bot found: ${found.stdout}`);
    });

    it("the host's paths, tried directly, hold nothing the bot can read", async () => {
      for (const file of [...planted, path.join(server.home, "admin-token"), path.join(server.home, "botbox.db")]) {
        const read = await exec("prober", `cat '${file}' 2>&1; echo status=$?`);
        assert.doesNotMatch(read.stdout, /host secret|SQLite format/, file);
        assert.match(read.stdout, /status=[1-9]/, `${file} was readable: ${read.stdout}`);
      }
    });
  },
);
