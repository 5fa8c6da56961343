// A client that opens many idle connections must not starve the server of
// file descriptors: connections are bounded (total, per peer, with a reserve
// for the admin) and a connection that never sends a request is closed.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { once } from "node:events";
import { readFile, rm } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { connect, type Socket } from "node:net";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";

import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";

const run = promisify(execFile);
/** The server's open-file limit in these tests: small, so that a few hundred sockets could use it up. */
const SERVER_OPEN_FILES = 512;
const IDLE_SOCKETS = 700;

async function openIdleSockets(url: string, count: number): Promise<Socket[]> {
  const { hostname, port } = new URL(url);
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = connect(Number(port), hostname);
    socket.on("error", () => {});
    sockets.push(socket);
  }
  await Promise.all(sockets.map((socket) => Promise.race([once(socket, "connect"), once(socket, "close")])));
  return sockets;
}

/** A GET on a new connection of its own (no pool), so it needs a new slot; a refused or reset one is status 0. */
function freshRequest(server: BotboxServer, token: string, route = "/bots"): Promise<number> {
  return new Promise((resolve) => {
    const request = httpRequest(
      `${server.url}${route}`,
      { agent: false, headers: { authorization: `Bearer ${token}` }, timeout: 5_000 },
      (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
        response.on("error", () => resolve(0));
      },
    );
    request.on("timeout", () => request.destroy());
    request.on("error", () => resolve(0));
    request.end();
  });
}

async function openFileLimit(pid: number): Promise<{ soft: number; hard: number }> {
  const limits = await readFile(`/proc/${pid}/limits`, "utf8");
  const match = /^Max open files\s+(\d+)\s+(\d+)/m.exec(limits)!;
  return { soft: Number(match[1]), hard: Number(match[2]) };
}

describe("the API's connection bounds", () => {
  const servers: BotboxServer[] = [];
  const sockets: Socket[] = [];
  after(async () => {
    for (const socket of sockets) socket.destroy();
    for (const server of servers) {
      await server.stop();
      await rm(server.home, { recursive: true, force: true });
    }
  });

  const startServer = async (env: NodeJS.ProcessEnv) => {
    const server = await startBotboxServer({ env });
    servers.push(server);
    // As tight as a loaded host's: lowered after start, so the limits above are what the server planned with.
    await run("prlimit", ["--pid", String(server.child.pid), `--nofile=${SERVER_OPEN_FILES}:${SERVER_OPEN_FILES}`]);
    return server;
  };

  it("runs with its soft open-file limit raised to the hard one", async () => {
    const server = await startServer({});
    const limit = await openFileLimit(server.child.pid!);
    assert.equal(limit.soft, limit.hard);
    const serving = server.logs.find((entry) => entry.msg === "botbox serving") as {
      openFiles?: { soft: number };
      connections?: { maxConnections: number; maxPerPeer: number; adminReserve: number };
    };
    assert.ok(serving.openFiles && serving.openFiles.soft >= 1024, JSON.stringify(serving));
    assert.ok(serving.connections!.maxPerPeer < serving.connections!.maxConnections, JSON.stringify(serving));
  });

  it(`serves the admin past ${IDLE_SOCKETS} idle connections, and refuses others`, async () => {
    const server = await startServer({
      BOTBOX_SERVER_MAX_CONNECTIONS: "200",
      BOTBOX_SERVER_ADMIN_RESERVED_CONNECTIONS: "8",
      BOTBOX_SERVER_FIRST_REQUEST_TIMEOUT_SECONDS: "60",
    });
    assert.equal((await server.api("POST", "/bots", { name: "connection bot", id: "conn-bot" })).status, 201);
    const botToken = (await server.api("POST", "/bots/conn-bot/tokens", { name: "conn" })).body.token as string;
    assert.equal(await freshRequest(server, botToken, "/bots/conn-bot"), 200, "the bot token does not work at all");
    sockets.push(...(await openIdleSockets(server.url, IDLE_SOCKETS)));
    const started = Date.now();
    assert.equal(await freshRequest(server, server.adminToken), 200, "the admin was locked out");
    assert.ok(Date.now() - started < 3_000, "the admin waited for idle connections to time out");
    const refused = await freshRequest(server, botToken, "/bots/conn-bot");
    assert.ok(refused === 503 || refused === 0, `a bot-token request got ${refused} at the limit`);
    const open = sockets.filter((socket) => !socket.destroyed && socket.readyState === "open").length;
    assert.ok(open <= 201, `${open} connections held open past max_connections = 200`);
  });

  it(`fails every request under ${IDLE_SOCKETS} idle connections with the bounds lifted (the control)`, async () => {
    const server = await startServer({
      BOTBOX_SERVER_MAX_CONNECTIONS: "5000",
      BOTBOX_SERVER_MAX_CONNECTIONS_PER_PEER: "4900",
      BOTBOX_SERVER_FIRST_REQUEST_TIMEOUT_SECONDS: "60",
    });
    const held = await openIdleSockets(server.url, IDLE_SOCKETS);
    sockets.push(...held);
    assert.equal(await freshRequest(server, server.adminToken), 0, "the server still had descriptors: no control");
    for (const socket of held) socket.destroy();
    await sleep(200);
    assert.equal(await freshRequest(server, server.adminToken), 200, "the server did not recover");
  });

  it("closes a connection that sends nothing, and keeps one whose slow request outlasts that timeout", async () => {
    const server = await startServer({ BOTBOX_SERVER_FIRST_REQUEST_TIMEOUT_SECONDS: "1" });
    const [idle] = await openIdleSockets(server.url, 1);
    sockets.push(idle!);
    const closedAfter = Date.now();
    await Promise.race([once(idle!, "close"), sleep(5_000)]);
    assert.ok(idle!.destroyed, "an idle connection was still open 5 s after a 1 s timeout");
    assert.ok(Date.now() - closedAfter < 4_000);

    // A body that takes 2.5 s to arrive: the timeout is for the first request's headers only.
    const body = JSON.stringify({ name: "slow client", id: "slow-bot" });
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        for (const part of [body.slice(0, 10), body.slice(10, 20), body.slice(20)]) {
          controller.enqueue(new TextEncoder().encode(part));
          await sleep(1_250);
        }
        controller.close();
      },
    });
    const created = await fetch(`${server.url}/bots`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    assert.equal(created.status, 201, await created.text());
    assert.equal((await server.api("DELETE", "/bots/slow-bot")).status, 204);
  });
});
