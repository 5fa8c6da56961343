import assert from "node:assert/strict";
import { rm, stat } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";

describe("botbox serve: bots and containers through the HTTP API", () => {
  let server: BotboxServer;
  const createdBots: string[] = [];

  before(async () => {
    server = await startBotboxServer();
  });
  after(async () => {
    for (const id of createdBots) await server.api("DELETE", `/bots/${id}`);
    await server.stop();
    await rm(server.home, { recursive: true, force: true });
  });

  async function newBot(id: string): Promise<void> {
    const response = await server.api("POST", "/bots", { id, name: `bot ${id}` });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    createdBots.push(id);
  }

  it("answers /health and /ready without a token and everything else only with one", async () => {
    assert.equal((await server.api("GET", "/health", undefined, "")).status, 200);
    assert.deepEqual(await server.api("GET", "/ready", undefined, ""), { status: 200, body: { status: "ready" } });
    const missing = await server.api("GET", "/bots", undefined, "");
    assert.equal(missing.status, 401);
    assert.equal(missing.body.error.code, "unauthenticated");
    assert.equal((await server.api("GET", "/bots", undefined, "bbx_not-a-real-token")).status, 401);
    assert.equal((await server.api("GET", "/openapi.json", undefined, "")).status, 401);
  });

  it("keeps the generated admin token in a file only its owner can read", async () => {
    const { mode } = await stat(path.join(server.home, "admin-token"));
    assert.equal(mode & 0o777, 0o600);
  });

  it("gives a bot created with network none only a loopback interface, and its limits", async () => {
    const created = await server.api("POST", "/bots", {
      id: "offline",
      name: "offline",
      network: "none",
      limits: { pids: 64, memory_bytes: 256 * 2 ** 20 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    createdBots.push("offline");
    assert.deepEqual(created.body.limits, { memory_bytes: 256 * 2 ** 20, pids: 64, cpus: null });
    assert.equal((await server.api("POST", "/bots/offline/container")).status, 201);
    const interfaces = await server.api("POST", "/bots/offline/container/exec", {
      command: "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '",
    });
    assert.equal(interfaces.body.stdout, "lo\n");
    const bad = await server.api("POST", "/bots", { name: "x", network: "bridge" });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /body\.network/);
  });

  it("serves an OpenAPI document that lists the routes", async () => {
    const { status, body } = await server.api("GET", "/openapi.json");
    assert.equal(status, 200);
    assert.equal(body.openapi, "3.1.0");
    for (const route of ["/bots", "/bots/{bot_id}/container", "/bots/{bot_id}/container/exec"]) {
      assert.ok(body.paths[route], `missing ${route}`);
    }
    assert.deepEqual(
      body.paths["/bots/{bot_id}/container/exec"].post.requestBody.content["application/json"].schema.required,
      ["command"],
    );
  });

  it("creates, starts, runs, stops, starts again with data kept, and deletes a bot's container", async () => {
    await newBot("life");
    const createdContainer = await server.api("POST", "/bots/life/container");
    assert.equal(createdContainer.status, 201, JSON.stringify(createdContainer.body));
    assert.equal(createdContainer.body.status, "running");
    assert.equal(createdContainer.body.task_running, true);

    const exec = await server.api("POST", "/bots/life/container/exec", {
      command: 'echo kept > /data/note.txt; id -u; printf %s "$GREETING"',
      env: { GREETING: "hello" },
    });
    assert.deepEqual(exec.body, { stdout: "0\nhello", stderr: "", exit_code: 0 });

    const stopped = await server.api("POST", "/bots/life/container/stop", { timeout: 5 });
    assert.equal(stopped.body.status, "stopped");
    assert.equal(stopped.body.task_running, false);
    assert.equal((await server.api("POST", "/bots/life/container/exec", { command: "true" })).status, 503);

    const restarted = await server.api("POST", "/bots/life/container/start");
    assert.equal(restarted.body.status, "running");
    assert.notEqual(restarted.body.pid, createdContainer.body.pid);
    const again = await server.api("POST", "/bots/life/container/exec", { command: "cat /data/note.txt" });
    assert.equal(again.body.stdout, "kept\n");

    assert.equal((await server.api("DELETE", "/bots/life/container")).status, 204);
    const gone = await server.api("GET", "/bots/life/container");
    assert.equal(gone.body.status, "missing");
    const fresh = await server.api("POST", "/bots/life/container");
    assert.equal(fresh.status, 201);
    const empty = await server.api("POST", "/bots/life/container/exec", { command: "test -e /data/note.txt; echo $?" });
    assert.equal(empty.body.stdout, "1\n", "a deleted container's data must go with it");
  });

  it("streams exec output as NDJSON lines ending with the exit code", async () => {
    await newBot("stream");
    await server.api("POST", "/bots/stream/container");
    const response = await fetch(`${server.url}/bots/stream/container/exec/stream`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ command: "echo one; echo two >&2; exit 4" }),
    });
    assert.equal(response.headers.get("content-type"), "application/x-ndjson");
    const lines = (await response.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    assert.deepEqual(lines.at(-1), { type: "exit", exit_code: 4 });
    assert.equal(
      lines
        .filter((line) => line.type === "stdout")
        .map((line) => line.data)
        .join(""),
      "one\n",
    );
    assert.equal(
      lines
        .filter((line) => line.type === "stderr")
        .map((line) => line.data)
        .join(""),
      "two\n",
    );
  });

  it("rejects bad input with a 4xx that names the field, and changes nothing", async () => {
    const before = (await server.api("GET", "/bots")).body.bots.length;
    const cases: [string, string, unknown, number, RegExp][] = [
      ["POST", "/bots", {}, 400, /body\.name/],
      ["POST", "/bots", { name: "x", id: "../../etc" }, 400, /body\.id/],
      ["POST", "/bots", { name: "x", extra: 1 }, 400, /extra/],
      ["POST", "/bots", "{not json", 400, /JSON/i],
      ["POST", "/bots/stream/container/exec", {}, 400, /body\.command/],
      ["POST", "/bots/stream/container/exec", { command: "true", timeout: -1 }, 400, /body\.timeout/],
      ["POST", "/bots/stream/container/exec", { command: "true", env: { "A=B": "x" } }, 400, /env/],
      ["GET", "/bots/no%2Fsuch/container", undefined, 400, /params\.bot_id/],
      ["POST", "/bots/stream/container/stop", { timeout: -1 }, 400, /body\.timeout/],
      ["POST", "/bots/stream/tokens", {}, 400, /body\.name/],
      ["GET", "/bots/stream/container/events?limit=zero", undefined, 400, /query\.limit/],
      ["DELETE", "/bots/stream/container?keep_data=maybe", undefined, 400, /query\.keep_data/],
      ["POST", "/bots/stream/container/rollback", { version: 0 }, 400, /body\.version/],
      ["POST", "/bots/ghost/container", undefined, 404, /ghost/],
    ];
    for (const [method, route, body, status, message] of cases) {
      const response = await server.api(method, route, body);
      assert.equal(
        response.status,
        status,
        `${method} ${route} ${JSON.stringify(body)}: ${JSON.stringify(response.body)}`,
      );
      assert.match(response.body.error.message, message);
    }
    assert.equal((await server.api("GET", "/bots")).body.bots.length, before);
  });

  it("a bot token reaches only its own bot; another bot gives 404, never its data", async () => {
    await newBot("alpha");
    await newBot("beta");
    await server.api("POST", "/bots/beta/container");
    const { body: issued, status } = await server.api("POST", "/bots/alpha/tokens", { name: "alpha's key" });
    assert.equal(status, 201);
    assert.match(issued.token, /^bbx_/);
    const asAlpha = (method: string, route: string, body?: unknown) => server.api(method, route, body, issued.token);
    assert.deepEqual(
      (await asAlpha("GET", "/bots")).body.bots.map((bot: { id: string }) => bot.id),
      ["alpha"],
    );
    assert.equal((await asAlpha("GET", "/bots/alpha")).status, 200);
    for (const [method, route] of [
      ["GET", "/bots/beta"],
      ["GET", "/bots/beta/container"],
      ["POST", "/bots/beta/container/exec"],
      ["POST", "/bots/beta/container/stop"],
      ["DELETE", "/bots/beta/container"],
    ] as const) {
      const response = await asAlpha(method, route, method === "POST" ? { command: "cat /data/*" } : undefined);
      assert.equal(
        response.status,
        route.endsWith("/stop") || route.endsWith("/exec") ? 404 : 404,
        `${method} ${route}`,
      );
      assert.equal(response.body.error.code, "not_found");
    }
    assert.equal((await asAlpha("POST", "/bots", { name: "sneaky" })).status, 403);
    assert.equal((await asAlpha("POST", "/bots/beta/tokens", { name: "steal" })).status, 403);
    assert.equal((await server.api("GET", "/bots/beta/container")).body.task_running, true, "beta was not touched");
    assert.equal((await server.api("DELETE", `/tokens/${issued.id}`)).status, 204);
    assert.equal((await asAlpha("GET", "/bots")).status, 401, "a revoked token no longer works");
  });
});
