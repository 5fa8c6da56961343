import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { rm, stat } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import {
  type BotboxServer,
  processRunning,
  sandboxProcessesLeft,
  startBotboxServer,
} from "../support/botbox-server.js";
import { botToken } from "../support/bots.js";

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
    // Its own limits, and the server's default for the one it left unset.
    assert.deepEqual(created.body.limits, {
      memory_bytes: 256 * 2 ** 20,
      pids: 64,
      cpus: 1,
      // Every backend enforces the default disk quota (as root; the suites run as root).
      disk_bytes: 10 * 2 ** 30,
    });
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
    const streamed = (type: string) =>
      lines
        .filter((line) => line.type === type)
        .map((line) => line.data)
        .join("");
    assert.equal(streamed("stdout"), "one\n");
    assert.equal(streamed("stderr"), "two\n");
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

  it("DELETE /bots/:bot_id ends the bot's sandbox, data and tokens, and frees its id", async () => {
    await newBot("doomed");
    const started = await server.api("POST", "/bots/doomed/container");
    assert.equal(started.status, 201, JSON.stringify(started.body));
    await server.api("POST", "/bots/doomed/container/exec", { command: "echo old > /data/old.txt" });
    const token = await botToken(server, "doomed");
    assert.equal((await server.api("GET", "/bots/doomed", undefined, token)).status, 200);
    assert.ok(await processRunning(started.body.pid));

    const deleted = await server.api("DELETE", "/bots/doomed");
    assert.equal(deleted.status, 204, JSON.stringify(deleted.body));
    assert.equal(deleted.body, undefined);
    const shown = await server.api("GET", "/bots/doomed");
    assert.equal(shown.status, 404);
    assert.equal(shown.body.error.code, "not_found");
    const listed = (await server.api("GET", "/bots")).body.bots.map((bot: { id: string }) => bot.id);
    assert.ok(!listed.includes("doomed"), JSON.stringify(listed));
    // A bot that does not exist is a 404 on every route, its container's included.
    assert.equal((await server.api("GET", "/bots/doomed/container")).status, 404);
    assert.equal(await processRunning(started.body.pid), false, "the bot's task outlived its deletion");
    assert.deepEqual(await sandboxProcessesLeft(server.home, "doomed"), []);
    assert.equal((await server.api("GET", "/bots", undefined, token)).status, 401, "its token outlived the bot");
    assert.equal((await server.api("DELETE", "/bots/doomed")).status, 404);

    await newBot("doomed");
    const again = await server.api("POST", "/bots/doomed/container");
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.deepEqual([again.body.status, again.body.task_running], ["running", true]);
    assert.notEqual(again.body.pid, started.body.pid);
    const fresh = await server.api("POST", "/bots/doomed/container/exec", {
      command: "test -e /data/old.txt; echo $?",
    });
    assert.equal(fresh.body.stdout, "1\n", "the new bot of the same id got the old one's data");
    assert.equal(
      (await server.api("GET", "/bots/doomed", undefined, token)).status,
      401,
      "the old token reaches the new bot",
    );
  });

  it("a container deleted with ?keep_data=true leaves /data to the next one; a plain delete drops it", async () => {
    await newBot("keeper");
    const first = await server.api("POST", "/bots/keeper/container");
    assert.equal(first.status, 201, JSON.stringify(first.body));
    await server.api("POST", "/bots/keeper/container/exec", { command: "mkdir -p /data/d && echo kept > /data/d/f" });

    assert.equal((await server.api("DELETE", "/bots/keeper/container?keep_data=true")).status, 204);
    assert.equal((await server.api("GET", "/bots/keeper/container")).body.status, "missing");
    assert.equal(await processRunning(first.body.pid), false);
    assert.deepEqual(await sandboxProcessesLeft(server.home, "keeper"), []);
    const second = await server.api("POST", "/bots/keeper/container");
    assert.equal(second.status, 201, JSON.stringify(second.body));
    const kept = await server.api("POST", "/bots/keeper/container/exec", { command: "cat /data/d/f" });
    assert.equal(kept.body.stdout, "kept\n", JSON.stringify(kept.body));

    assert.equal((await server.api("DELETE", "/bots/keeper/container")).status, 204);
    assert.equal((await server.api("POST", "/bots/keeper/container")).status, 201);
    const dropped = await server.api("POST", "/bots/keeper/container/exec", { command: "test -e /data/d; echo $?" });
    assert.equal(dropped.body.stdout, "1\n", "a plain delete kept /data");
  });

  it("rejects bad exec, stream, start, stop and import input with a 4xx naming it, and changes nothing", async () => {
    await newBot("strict");
    const started = await server.api("POST", "/bots/strict/container");
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const exec = "/bots/strict/container/exec";
    await server.api("POST", exec, { command: "echo original > /data/f" });
    const look = { command: "ls -A /data && cat /data/f" };
    const before = (await server.api("POST", exec, look)).body.stdout;
    assert.match(before, /\bf\noriginal\n$/);
    const cases: [string, string, unknown, number, RegExp][] = [
      ["POST", exec, { command: 42 }, 400, /body\.command/],
      ["POST", exec, { command: "echo changed > /data/f", timeout: "-5" }, 400, /body\.timeout/],
      ["POST", exec, { command: "echo changed > /data/f", timeout: 1.5 }, 400, /body\.timeout/],
      ["POST", exec, { command: "echo changed > /data/f", env: "A=B" }, 400, /body\.env/],
      ["POST", exec, { command: "echo changed > /data/f", env: { A: 1 } }, 400, /body\.env\.A/],
      ["POST", exec, { command: "echo changed > /data/f", work_dir: ["/"] }, 400, /body\.work_dir/],
      ["POST", exec, { command: "echo changed > /data/f", stdin: false }, 400, /body\.stdin/],
      ["POST", `${exec}/stream`, { command: ["echo", "changed"] }, 400, /body\.command/],
      ["POST", `${exec}/stream`, { command: "echo changed > /data/f", shell: "bash" }, 400, /shell/],
      ["POST", `${exec}/stream`, { command: "echo changed > /data/f", timeout: 0 }, 400, /body\.timeout/],
      ["POST", `${exec}/stream`, "{not json", 400, /JSON/i],
      ["POST", "/bots/strict/container/stop", { timeout: "soon" }, 400, /body\.timeout/],
      ["POST", "/bots/ghost/container/start", undefined, 404, /ghost/],
      ["POST", "/bots/ghost/container/stop", undefined, 404, /ghost/],
      ["POST", "/bots/ghost/container/stop", { timeout: 1 }, 404, /ghost/],
    ];
    for (const [method, route, body, status, message] of cases) {
      const response = await server.api(method, route, body);
      const what = `${method} ${route} ${JSON.stringify(body)}: ${JSON.stringify(response.body)}`;
      assert.equal(response.status, status, what);
      assert.match(response.body.error.message, message, what);
    }

    const imported = await fetch(`${server.url}/bots/strict/container/import?replace=true`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/gzip" },
      body: "plain text, not a gzip stream",
    });
    assert.equal(imported.status, 400);
    assert.match(((await imported.json()) as { error: { message: string } }).error.message, /gzip/);

    const state = await server.api("GET", "/bots/strict/container");
    assert.deepEqual([state.body.status, state.body.pid], ["running", started.body.pid], "the bot was stopped");
    assert.equal((await server.api("POST", exec, look)).body.stdout, before, "/data changed");
    assert.equal((await server.api("GET", "/bots/ghost")).status, 404);
    assert.equal(
      existsSync(path.join(server.home, "bots", "ghost")),
      false,
      "a start of an unknown bot made it a folder",
    );
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
