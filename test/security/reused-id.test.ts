// A deleted bot's data never passes to a new bot with the same id (issue 13
// §7): DELETE …/container?keep_data=true, then DELETE /bots/:id, then a new
// bot under that id starts empty. The control: without deleting the bot, a
// new container of the same bot does get the kept data back, as keep_data
// promises.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { type BotboxServer, startBotboxServer, TEST_RUNTIME } from "../support/botbox-server.js";
import { removeServer } from "../support/bots.js";

describe(`a reused bot id (${TEST_RUNTIME})`, () => {
  let server: BotboxServer;
  const exec = async (id: string, command: string) =>
    (await server.api("POST", `/bots/${id}/container/exec`, { command })).body as { stdout: string };
  const register = async (id: string) => {
    assert.equal((await server.api("POST", "/bots", { id, name: id })).status, 201);
    assert.equal((await server.api("POST", `/bots/${id}/container`)).status, 201);
  };
  const keepAndDrop = async (id: string) => {
    assert.equal((await server.api("POST", `/bots/${id}/container/stop`, {})).status, 200);
    assert.equal((await server.api("DELETE", `/bots/${id}/container?keep_data=true`)).status, 204);
  };

  before(async () => {
    server = await startBotboxServer();
  });
  after(() => removeServer(server, ["reused", "kept"]));

  it("keep_data brings the data back to the same bot's next container", async () => {
    await register("kept");
    await exec("kept", "echo mine > /data/secret");
    await keepAndDrop("kept");
    assert.equal((await server.api("POST", "/bots/kept/container")).status, 201);
    assert.equal((await exec("kept", "cat /data/secret")).stdout.trim(), "mine");
  });

  it("a new bot under a deleted bot's id starts empty", async () => {
    await register("reused");
    await exec("reused", "echo old > /data/secret");
    await keepAndDrop("reused");
    assert.equal((await server.api("DELETE", "/bots/reused")).status, 204);
    await register("reused");
    assert.equal(
      (await exec("reused", "cat /data/secret 2>&1 || echo absent")).stdout.trim().split("\n").at(-1),
      "absent",
    );
  });
});
