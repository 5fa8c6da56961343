import assert from "node:assert/strict";
import { once } from "node:events";
import { access, rm } from "node:fs/promises";
import path from "node:path";
import { after, describe, it } from "node:test";

import { type BotboxServer, newHome, sandboxOnly, startBotboxServer } from "../support/botbox-server.js";

describe("botbox serve killed in the middle of a snapshot", () => {
  let home: string | undefined;
  let server: BotboxServer | undefined;

  after(async () => {
    await server?.api("DELETE", "/bots/crashy").catch(() => undefined);
    await server?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it(
    "comes back with the bot running, /data whole, no half snapshot, and the bot deletable",
    sandboxOnly("the crash step is in the sandbox's state code"),
    async () => {
      const fresh = await newHome();
      home = fresh;
      const crashing = await startBotboxServer({ home: fresh, env: { BOTBOX_TEST_CRASH_AT: "commit:upper-moved" } });
      server = crashing;
      assert.equal((await crashing.api("POST", "/bots", { id: "crashy", name: "crashy" })).status, 201);
      assert.equal((await crashing.api("POST", "/bots/crashy/container")).status, 201);
      const wrote = await crashing.api("POST", "/bots/crashy/container/exec", { command: "echo kept > /data/mark" });
      assert.equal(wrote.body.exit_code, 0);
      const exited = once(crashing.child, "exit");
      await assert.rejects(crashing.api("POST", "/bots/crashy/container/snapshots", { snapshot_name: "s1" }));
      const [, signal] = await exited;
      assert.equal(signal, "SIGKILL");

      server = await startBotboxServer({ home: fresh });
      const reconciled = server.logs.find((entry) => entry.msg === "reconciled bots") as { restarted: string[] };
      assert.deepEqual(reconciled.restarted, ["crashy"], "the auto-start bot stopped for the snapshot is started");
      assert.equal((await server.api("GET", "/bots/crashy/container")).body.task_running, true);
      const read = await server.api("POST", "/bots/crashy/container/exec", { command: "cat /data/mark" });
      assert.equal(read.body.stdout, "kept\n");
      assert.deepEqual((await server.api("GET", "/bots/crashy/container/snapshots")).body.snapshots, []);
      const again = await server.api("POST", "/bots/crashy/container/snapshots", { snapshot_name: "s1" });
      assert.equal(again.status, 201, JSON.stringify(again.body));
      const deleted = await server.api("DELETE", "/bots/crashy");
      assert.ok(deleted.status < 300, JSON.stringify(deleted.body));
      const left = await access(path.join(fresh, "bots", "crashy")).then(
        () => true,
        () => false,
      );
      assert.equal(left, false, "the bot's folder is left");
    },
  );
});
