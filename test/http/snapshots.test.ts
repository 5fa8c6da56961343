import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, before, describe, it } from "node:test";

import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";

/** Every path (folders included) with its mode, and every file with its hash. */
const TREE = "cd /data && find . -printf '%p %y %m\\n' | sort && find . -type f -exec sha256sum {} + | sort";

describe("snapshots, versions and rollback through the HTTP API", () => {
  let server: BotboxServer;

  before(async () => {
    server = await startBotboxServer();
    await server.api("POST", "/bots", { id: "snappy", name: "snappy" });
    const started = await server.api("POST", "/bots/snappy/container");
    assert.equal(started.status, 201);
  });
  after(async () => {
    await server.api("DELETE", "/bots/snappy");
    await server.stop();
    await rm(server.home, { recursive: true, force: true });
  });

  const exec = async (command: string) => {
    const response = await server.api("POST", "/bots/snappy/container/exec", { command });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.exit_code, 0, response.body.stderr);
    return response.body.stdout as string;
  };

  it("rolls back to a version: the tree is identical to the snapshot, file by file", async () => {
    await exec(
      "mkdir -p /data/src/empty && printf 'v1' > /data/src/a.txt && head -c 100000 /dev/urandom > /data/blob && chmod 600 /data/blob",
    );
    const tree = await exec(TREE);
    const version = await server.api("POST", "/bots/snappy/container/versions");
    assert.equal(version.status, 201, JSON.stringify(version.body));
    assert.equal(version.body.version, 1);

    await exec(
      "printf 'v2' > /data/src/a.txt && rm /data/blob && rmdir /data/src/empty && touch /data/new && chmod 700 /data/src",
    );
    assert.notEqual(await exec(TREE), tree);

    const rolled = await server.api("POST", "/bots/snappy/container/rollback", { version: 1 });
    assert.equal(rolled.status, 200, JSON.stringify(rolled.body));
    assert.equal(await exec(TREE), tree);
    const state = await server.api("GET", "/bots/snappy/container");
    assert.equal(state.body.task_running, true, "the bot runs again after the rollback");
  });

  it("lists snapshots with their source and version, and numbers versions in order", async () => {
    const named = await server.api("POST", "/bots/snappy/container/snapshots", {
      snapshot_name: "before-upgrade",
      display_name: "Before the upgrade",
    });
    assert.equal(named.status, 201, JSON.stringify(named.body));
    assert.equal(named.body.snapshot_name, "before-upgrade");
    const second = await server.api("POST", "/bots/snappy/container/versions");
    assert.equal(second.body.version, named.body.version + 1);
    const { body } = await server.api("GET", "/bots/snappy/container/snapshots");
    const mine = body.snapshots.find((snapshot: { name: string }) => snapshot.name === "before-upgrade");
    assert.deepEqual(
      { source: mine.source, version: mine.version, display_name: mine.display_name },
      { source: "manual", version: named.body.version, display_name: "Before the upgrade" },
    );
    const versions = (await server.api("GET", "/bots/snappy/container/versions")).body.versions;
    assert.deepEqual(
      versions.map((version: { version: number }) => version.version),
      [1, 2, 3],
    );
  });

  it("rejects a bad snapshot name, an unknown version and a duplicate name, changing nothing", async () => {
    const before = (await server.api("GET", "/bots/snappy/container/versions")).body.versions.length;
    const bad = await server.api("POST", "/bots/snappy/container/snapshots", { snapshot_name: "../x" });
    assert.equal(bad.status, 400);
    const unknown = await server.api("POST", "/bots/snappy/container/rollback", { version: 99 });
    assert.equal(unknown.status, 404);
    assert.equal((await server.api("POST", "/bots/snappy/container/rollback", { version: "1" })).status, 400);
    const duplicate = await server.api("POST", "/bots/snappy/container/snapshots", { snapshot_name: "before-upgrade" });
    assert.equal(duplicate.status, 409, JSON.stringify(duplicate.body));
    assert.equal((await server.api("GET", "/bots/snappy/container/versions")).body.versions.length, before);
    assert.equal((await server.api("GET", "/bots/snappy/container")).body.task_running, true);
  });

  it("answers a bad snapshot or rollback body with a 400 naming the field, without touching the bot", async () => {
    await exec("printf 'after the last version' > /data/untouched.txt");
    const versionsBefore = (await server.api("GET", "/bots/snappy/container/versions")).body.versions;
    const snapshotsBefore = (await server.api("GET", "/bots/snappy/container/snapshots")).body.snapshots.length;
    const stateBefore = await server.api("GET", "/bots/snappy/container");
    const cases: [string, unknown, number, RegExp][] = [
      ["snapshots", { snapshot_name: 7 }, 400, /body\.snapshot_name/],
      ["snapshots", { snapshot_name: "fine", display_name: "x".repeat(201) }, 400, /body\.display_name/],
      ["snapshots", { snapshot_name: "fine", parent: "v1" }, 400, /parent/],
      ["snapshots", { snapshot_name: ".hidden" }, 400, /snapshot name/],
      ["snapshots", "[1,", 400, /JSON/i],
      ["rollback", {}, 400, /body\.version/],
      ["rollback", { version: 0 }, 400, /body\.version/],
      ["rollback", { version: -1 }, 400, /body\.version/],
      ["rollback", { version: 1.5 }, 400, /body\.version/],
      ["rollback", { version: null }, 400, /body\.version/],
      ["rollback", { version: 1, to: "latest" }, 400, /to/],
      ["rollback", { version: 4242 }, 404, /version 4242/],
    ];
    for (const [route, body, status, message] of cases) {
      const response = await server.api("POST", `/bots/snappy/container/${route}`, body);
      const what = `${route} ${JSON.stringify(body)}: ${JSON.stringify(response.body)}`;
      assert.equal(response.status, status, what);
      assert.match(response.body.error.message, message, what);
    }
    assert.deepEqual((await server.api("GET", "/bots/snappy/container/versions")).body.versions, versionsBefore);
    const snapshotsAfter = (await server.api("GET", "/bots/snappy/container/snapshots")).body.snapshots.length;
    assert.equal(snapshotsAfter, snapshotsBefore);
    const stateAfter = await server.api("GET", "/bots/snappy/container");
    assert.deepEqual(
      [stateAfter.body.task_running, stateAfter.body.pid, stateAfter.body.last_started_at],
      [true, stateBefore.body.pid, stateBefore.body.last_started_at],
      "a refused request stopped or restarted the bot",
    );
    assert.equal(await exec("cat /data/untouched.txt"), "after the last version");
  });
});
