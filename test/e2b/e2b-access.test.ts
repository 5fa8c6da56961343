// Who may do what through the E2B front end (docs/e2b.md): a bot token's key
// sees only its own sandbox, one sandbox's envd token opens no other, E2B's
// timeout kills, unsupported calls answer E2B's error shape, and a server
// without [e2b] enabled has no E2B API at all.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { NotFoundError, Sandbox, SandboxError } from "e2b";

import { e2bKeyFor } from "../../packages/server/src/e2b/index.js";
import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { envdJsonCall, envdRequest, envdToken, listedIds, useE2bEnvironment } from "./support.js";

describe("E2B front end access", { timeout: 180_000 }, () => {
  let server: BotboxServer;
  let mine: Sandbox;
  let other: Sandbox;
  let botKey: string;

  before(async () => {
    server = await startBotboxServer({ env: { BOTBOX_E2B_ENABLED: "true" } });
    useE2bEnvironment(server, e2bKeyFor(server.adminToken));
    [mine, other] = await Promise.all([Sandbox.create(), Sandbox.create()]);
    const created = await server.api("POST", `/bots/${mine.sandboxId}/tokens`, { name: "e2b" });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    botKey = e2bKeyFor(created.body.token as string);
  });

  after(async () => {
    for (const sandbox of [mine, other]) if (sandbox) await Sandbox.kill(sandbox.sandboxId).catch(() => undefined);
    await server?.stop();
  });

  it("shows a bot token's key only its own sandbox; the admin's sees both", async () => {
    assert.deepEqual(await listedIds(botKey), [mine.sandboxId]);
    const all = await listedIds();
    assert.ok(all.includes(mine.sandboxId) && all.includes(other.sandboxId));
    assert.equal((await Sandbox.getInfo(mine.sandboxId, { apiKey: botKey })).sandboxId, mine.sandboxId);
    await assert.rejects(Sandbox.getInfo(other.sandboxId, { apiKey: botKey }), NotFoundError);
    assert.equal((await Sandbox.getInfo(other.sandboxId)).sandboxId, other.sandboxId);
  });

  it("lets a bot token's key use its sandbox but not create or kill sandboxes", async () => {
    const connected = await Sandbox.connect(mine.sandboxId, { apiKey: botKey });
    assert.equal((await connected.commands.run("echo mine")).stdout, "mine\n");
    await assert.rejects(Sandbox.create({ apiKey: botKey }), (error: unknown) => {
      assert.ok(error instanceof SandboxError && /403/.test(error.message), String(error));
      return true;
    });
    await assert.rejects(Sandbox.kill(mine.sandboxId, { apiKey: botKey }), /403/);
    assert.equal((await server.api("GET", `/bots/${mine.sandboxId}`)).status, 200);
  });

  it("refuses one sandbox's envd token for another sandbox", async () => {
    const list = (sandboxId: string, token: string) => envdJsonCall(server, sandboxId, token, "process.Process/List");
    assert.equal((await list(other.sandboxId, envdToken(mine))).status, 401);
    assert.equal((await list(other.sandboxId, envdToken(other))).status, 200);
    const download = (sandboxId: string, token: string) =>
      envdRequest(server, sandboxId, token, "files?path=/etc/hostname");
    assert.equal((await download(other.sandboxId, envdToken(mine))).status, 401);
    assert.notEqual((await download(other.sandboxId, envdToken(other))).status, 401);
  });

  it("answers what it does not support with E2B's error shape", async () => {
    const response = await fetch(`${server.url}/e2b/sandboxes/${mine.sandboxId}/pause`, {
      method: "POST",
      headers: { "X-API-KEY": e2bKeyFor(server.adminToken) },
    });
    assert.equal(response.status, 501);
    const body = (await response.json()) as { code: number; message: string };
    assert.equal(body.code, 501);
    assert.match(body.message, /not supported/);
    await assert.rejects(mine.pause(), /501/);
  });

  it("kills a sandbox when its timeout ends", async () => {
    const brief = await Sandbox.create({ timeoutMs: 2_000 });
    assert.equal((await server.api("GET", `/bots/${brief.sandboxId}`)).status, 200);
    await server.waitForLog(
      (entry) => entry.msg === "E2B sandbox timed out: killed" && entry.botId === brief.sandboxId,
      30_000,
    );
    assert.equal((await server.api("GET", `/bots/${brief.sandboxId}`)).status, 404);
  });
});

describe("a server with E2B streams open", { timeout: 90_000 }, () => {
  it("stops promptly: a running command's stream does not hold the server", async () => {
    const server = await startBotboxServer({ env: { BOTBOX_E2B_ENABLED: "true" } });
    let sandboxId: string | undefined;
    try {
      useE2bEnvironment(server, e2bKeyFor(server.adminToken));
      const sandbox = await Sandbox.create();
      sandboxId = sandbox.sandboxId;
      const running = await sandbox.commands.run("sleep 60", { background: true });
      const started = Date.now();
      await server.stop();
      assert.ok(Date.now() - started < 20_000, `stop took ${Date.now() - started} ms`);
      await running.disconnect().catch(() => undefined);
    } finally {
      // The bot outlives its server: a second server deletes it.
      const cleaner = await startBotboxServer({ home: server.home });
      if (sandboxId) await cleaner.api("DELETE", `/bots/${sandboxId}`);
      await cleaner.stop();
    }
  });
});

describe("a server without [e2b] enabled", { timeout: 60_000 }, () => {
  it("has no E2B API: an E2B key gets botbox's own 401", async () => {
    const plain = await startBotboxServer();
    try {
      const response = await fetch(`${plain.url}/e2b/v2/sandboxes`, {
        headers: { "X-API-KEY": e2bKeyFor(plain.adminToken) },
      });
      assert.equal(response.status, 401);
      const body = (await response.json()) as { error?: { code: string } };
      assert.equal(body.error?.code, "unauthenticated");
    } finally {
      await plain.stop();
    }
  });
});
