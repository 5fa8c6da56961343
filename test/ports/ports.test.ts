// A bot's ports through the host (docs/ports.md), end to end: a real
// `botbox serve` on the backend of BOTBOX_TEST_RUNTIME, bots serving HTTP
// and WebSocket with plain node, reached by token and by signed link.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import WebSocket from "ws";

import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { addBots, botToken, removeServer } from "../support/bots.js";
import { startAppIn } from "./app-in-bot.js";
import { requestAt } from "./origin-client.js";
import { linksToRefuse, type RefusedAttempt, refusedAttempts } from "./refused-links.js";

const BOT = "web";
const OTHER = "other";
const OFFLINE = "offline";
const PORT = 3000;
const MAX_TUNNELS = 4;
const CLI = fileURLToPath(new URL("../../packages/server/dist/botbox.js", import.meta.url));

describe("a bot's ports through the host", { timeout: 300_000 }, () => {
  let server: BotboxServer;
  let admin: Record<string, string>;
  const base = (bot = BOT, port = PORT) => `${server.url}/bots/${bot}/ports/${port}`;
  const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers, redirect: "manual" });
  const seen = async (bot = BOT) => Number(await (await get(`${base(bot)}/seen`, admin)).text());
  const signed = async (bot = BOT, port = PORT, ttl = 60, token?: string) => {
    const { status, body } = await server.api("POST", `/bots/${bot}/ports/${port}/link`, { ttl_seconds: ttl }, token);
    assert.equal(status, 200, JSON.stringify(body));
    return body as { url: string; path: string; expires_at: string };
  };
  const linkOf = (url: string) => new URL(url).searchParams.get("botbox_link")!;

  before(async () => {
    server = await startBotboxServer({ env: { BOTBOX_PORTS_MAX_TUNNELS_PER_BOT: String(MAX_TUNNELS) } });
    admin = { authorization: `Bearer ${server.adminToken}` };
    await addBots(server, [BOT, OTHER]);
    const created = await server.api("POST", "/bots", { id: OFFLINE, name: OFFLINE, network: "none" });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await server.api("POST", `/bots/${OFFLINE}/container`)).status, 201);
    await startAppIn(server, [BOT, OTHER, OFFLINE], PORT);
  });
  after(() => removeServer(server, [BOT, OTHER, OFFLINE]));

  it("serves the bot's app to the admin token and the bot's own token; another bot's token gets 404", async () => {
    const response = await get(`${base()}/hello?x=1`, admin);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), `hello from port ${PORT} at /hello\n`);
    const own = await botToken(server, BOT);
    assert.equal((await get(`${base()}/`, { authorization: `Bearer ${own}` })).status, 200);
    const foreign = await botToken(server, OTHER);
    const refused = await get(`${base()}/`, { authorization: `Bearer ${foreign}` });
    assert.equal(refused.status, 404);
    assert.equal((await signedStatus(server, BOT, foreign)).status, 404);
    assert.equal((await signed(BOT, PORT, 60, own)).path.startsWith(`/bots/${BOT}/ports/${PORT}/`), true);
  });

  it("answers the port without its final slash with a redirect to it", async () => {
    const response = await get(`${base()}?a=1`, admin);
    assert.equal(response.status, 302);
    assert.equal(response.headers.get("location"), `/bots/${BOT}/ports/${PORT}/?a=1`);
  });

  it("passes the request on without botbox's credentials, saying where it came from", async () => {
    const response = await get(`${base()}/echo-request?q=2`, {
      ...admin,
      cookie: "theirs=1; botbox_link=v1.x.y",
      "x-custom": "kept",
    });
    assert.equal(response.status, 200);
    const echoed = (await response.json()) as { url: string; headers: Record<string, string> };
    assert.equal(echoed.url, "/echo-request?q=2");
    assert.equal(echoed.headers.authorization, undefined);
    assert.equal(echoed.headers.cookie, "theirs=1");
    assert.equal(echoed.headers["x-custom"], "kept");
    assert.equal(echoed.headers.host, `localhost:${PORT}`);
    assert.equal(echoed.headers["x-forwarded-prefix"], `/bots/${BOT}/ports/${PORT}`);
    assert.equal(echoed.headers["x-forwarded-proto"], "http");
    assert.equal(echoed.headers["x-forwarded-host"], new URL(server.url).host);
    // The app's cookie is kept under the prefix; one named like botbox's link cookie never reaches the browser.
    assert.deepEqual(response.headers.getSetCookie(), [`app_session=1; Path=/bots/${BOT}/ports/${PORT}/`]);
  });

  it("turns a signed path-form URL into a cookie of the port's path and a redirect that drops the link", async () => {
    const { path, expires_at } = await signed(BOT, PORT, 120);
    assert.ok(Date.parse(expires_at) > Date.now() + 100_000);
    const opened = await get(`${server.url}${path.replace("/?", "/echo-request?keep=1&")}`);
    assert.equal(opened.status, 302);
    assert.equal(opened.headers.get("location"), `/bots/${BOT}/ports/${PORT}/echo-request?keep=1`);
    const [cookie] = opened.headers.getSetCookie();
    assert.match(
      cookie!,
      new RegExp(
        `^botbox_link=v1\\.[^;]+; Path=/bots/${BOT}/ports/${PORT}/; Max-Age=1[012]\\d; HttpOnly; SameSite=Lax$`,
      ),
    );
    const jar = cookie!.split(";")[0]!;
    const followed = await get(`${server.url}${opened.headers.get("location")}`, { cookie: jar });
    assert.equal(followed.status, 200);
    const echoed = (await followed.json()) as { url: string; headers: Record<string, string> };
    // Neither the link nor its cookie reaches the app.
    assert.equal(echoed.url, "/echo-request?keep=1");
    assert.equal(echoed.headers.cookie, undefined);
  });

  it("refuses forged, expired and misdirected links and no credentials, and none of them reaches the app", async () => {
    const links = await linksToRefuse(server, { bot: BOT, other: OTHER, port: PORT });
    const { genuine, forged, expiring } = links;
    const before = await seen();
    const attempts: RefusedAttempt[] = [
      ...refusedAttempts(links),
      ["an expired link", {}, `?botbox_link=${expiring}`, 401],
      ["a bad token beside nothing else", { authorization: "Bearer bbx_not-a-token" }, "", 401],
    ];
    for (const [what, headers, query, status] of attempts) {
      const response = await get(`${base()}/hello${query}`, headers);
      assert.equal(response.status, status, `${what}: ${await response.text()}`);
    }
    for (const method of ["HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) {
      const response = await fetch(`${base()}/hello`, { method, headers: { cookie: `botbox_link=${forged}` } });
      assert.equal(response.status, 401, method);
    }
    assert.equal(await seen(), before, "a refused request reached the app");
    // The same requests with the genuine link get through, so the refusals above are the links'.
    assert.equal((await get(`${base()}/hello?botbox_link=${genuine}`)).status, 302);
    assert.equal((await get(`${base()}/hello`, { cookie: `botbox_link=${genuine}` })).status, 200);
    assert.equal(await seen(), before + 1);
  });

  it("keeps the app's redirects under the prefix, and leaves other sites' alone", async () => {
    const cases: [string, string][] = [
      ["/target", `/bots/${BOT}/ports/${PORT}/target`],
      [`http://localhost:${PORT}/x?y=1`, `/bots/${BOT}/ports/${PORT}/x?y=1`],
      [`http://127.0.0.1:${PORT}/z`, `/bots/${BOT}/ports/${PORT}/z`],
      ["https://example.com/elsewhere", "https://example.com/elsewhere"],
      ["next", "next"],
    ];
    for (const [to, expected] of cases) {
      const response = await get(`${base()}/redirect?to=${encodeURIComponent(to)}`, admin);
      assert.equal(response.status, 302);
      assert.equal(response.headers.get("location"), expected, to);
    }
  });

  it("streams large bodies both ways without holding them in the server", async () => {
    // V8 lets Buffers' external memory grow about 64 MB between collections,
    // so a server that streams can still grow that much: the body must be
    // well past it for "held" (growth near SIZE) to stand apart.
    const SIZE = 192 * 2 ** 20;
    const block = Buffer.alloc(2 ** 20);
    for (let i = 0; i < block.length; i++) block[i] = (i * 31 + 5) & 0xff;
    const expected = createHash("sha256");
    for (let i = 0; i < SIZE / block.length; i++) expected.update(block);
    const rssBefore = await rssOf(server.child.pid!);
    let rssPeak = rssBefore;
    const sampler = setInterval(
      () => void rssOf(server.child.pid!).then((rss) => (rssPeak = Math.max(rssPeak, rss))),
      50,
    );
    let sent = 0;
    try {
      const uploaded = await fetch(`${base()}/upload`, {
        method: "POST",
        headers: { ...admin, "content-type": "application/octet-stream" },
        body: new ReadableStream({
          pull(controller) {
            controller.enqueue(block);
            sent += block.length;
            if (sent >= SIZE) controller.close();
          },
        }),
        duplex: "half",
      } as RequestInit);
      assert.equal(uploaded.status, 200);
      assert.deepEqual(await uploaded.json(), { bytes: SIZE, sha256: expected.copy().digest("hex") });

      const downloaded = await get(`${base()}/download?bytes=${SIZE}`, admin);
      assert.equal(downloaded.headers.get("content-length"), String(SIZE));
      const hash = createHash("sha256");
      const pattern = Buffer.alloc(64 * 1024);
      for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 7 + 3) & 0xff;
      const wanted = createHash("sha256");
      for (let i = 0; i < SIZE / pattern.length; i++) wanted.update(pattern);
      let bytes = 0;
      for await (const chunk of downloaded.body!) {
        hash.update(chunk);
        bytes += chunk.length;
      }
      assert.equal(bytes, SIZE);
      assert.equal(hash.digest("hex"), wanted.digest("hex"));
    } finally {
      clearInterval(sampler);
    }
    const growthMb = (rssPeak - rssBefore) / 2 ** 20;
    assert.ok(
      growthMb < SIZE / 2 ** 20 / 2,
      `the server grew by ${growthMb.toFixed(0)} MB moving ${SIZE / 2 ** 20} MiB each way`,
    );
  });

  it("passes a WebSocket upgrade through, for a token or the link's cookie, and refuses one without", async () => {
    const wsBase = base().replace(/^http/, "ws");
    const echo = async (headers: Record<string, string>) => {
      const socket = new WebSocket(`${wsBase}/socket?x=1`, { headers });
      const upgradedPath = new Promise<string>((resolve) =>
        socket.once("upgrade", (response) => resolve(String(response.headers["x-app-path"]))),
      );
      await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
      socket.send("ping through the tunnel");
      const message = await new Promise<string>((resolve) => socket.once("message", (data) => resolve(String(data))));
      socket.close();
      return { message, path: await upgradedPath };
    };
    assert.deepEqual(await echo(admin), { message: "ping through the tunnel", path: "/socket?x=1" });
    const link = linkOf((await signed()).url);
    assert.equal((await echo({ cookie: `botbox_link=${link}` })).message, "ping through the tunnel");

    const before = await seen();
    for (const [headers, status] of [
      [{}, 401],
      [{ cookie: `botbox_link=${link.slice(0, -2)}xx` }, 401],
      [{ authorization: `Bearer ${await botToken(server, OTHER)}` }, 404],
    ] as const) {
      const socket = new WebSocket(`${wsBase}/socket`, { headers });
      const refused = await new Promise<number>((resolve, reject) => {
        socket.once("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0));
        socket.once("open", () => reject(new Error("the upgrade was let through")));
        socket.once("error", () => undefined);
      });
      socket.terminate();
      assert.equal(refused, status);
    }
    assert.equal(await seen(), before, "a refused upgrade reached the app");
  });

  it("answers 502 naming the reason when nothing listens on the port", async () => {
    const response = await get(`${base(BOT, 3999)}/`, admin);
    assert.equal(response.status, 502);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(error.code, "port_unreachable");
    assert.match(error.message, /ECONNREFUSED/);
  });

  it("bounds the tunnels open to one bot: 429 past the bound, other bots unaffected, free again when they end", async () => {
    // Half answered and held open, half never answered: both kinds hold a tunnel until their client goes.
    const held = await Promise.all(
      Array.from({ length: MAX_TUNNELS / 2 }, async () => {
        const abort = new AbortController();
        const response = await fetch(`${base()}/hold`, { headers: admin, signal: abort.signal });
        assert.equal(response.status, 200);
        return abort;
      }),
    );
    for (let i = 0; i < MAX_TUNNELS / 2; i++) {
      const abort = new AbortController();
      fetch(`${base()}/stall`, { headers: admin, signal: abort.signal }).catch(() => undefined);
      held.push(abort);
    }
    for (let i = 0; i < 50 && (await get(`${base()}/hello`, admin)).status !== 429; i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    const refused = await get(`${base()}/hello`, admin);
    assert.equal(refused.status, 429);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, "too_many_tunnels");
    assert.equal((await get(`${base(OTHER)}/hello`, admin)).status, 200);
    for (const abort of held) abort.abort();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await get(`${base()}/hello`, admin)).status;
    }
    assert.equal(status, 200);
  });

  it("reaches a bot with network none as one on the default isolated network", async () => {
    assert.equal((await server.api("GET", `/bots/${BOT}`)).body.network, "isolated");
    assert.equal((await server.api("GET", `/bots/${OFFLINE}`)).body.network, "none");
    const response = await get(`${base(OFFLINE)}/offline`, admin);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), `hello from port ${PORT} at /offline\n`);
  });

  it("refuses a port out of range and an unknown bot with the error naming it", async () => {
    for (const port of ["0", "70000", "http"]) {
      const response = await get(`${server.url}/bots/${BOT}/ports/${port}/`, admin);
      assert.equal(response.status, 400, port);
      assert.match(await response.text(), /params\.port/);
    }
    assert.equal((await get(`${server.url}/bots/nobody/ports/${PORT}/`, admin)).status, 404);
  });

  it("prints a signed URL with botbox port that opens in a browser, on the port's own origin", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, "port", BOT, String(PORT), "--ttl", "60"], {
      env: { ...process.env, BOTBOX_URL: server.url, BOTBOX_TOKEN: server.adminToken },
    });
    const url = stdout.trim();
    const origin = `http://${PORT}-${BOT}.localhost:${new URL(server.url).port}`;
    assert.match(url, new RegExp(`^${origin}/\\?botbox_link=v1\\.`));
    const opened = await requestAt(url);
    assert.equal(opened.status, 302);
    const cookie = opened.headers["set-cookie"]![0]!.split(";")[0]!;
    assert.equal((await requestAt(`${origin}/`, { headers: { cookie } })).status, 200);
  });
});

function signedStatus(server: BotboxServer, bot: string, token: string) {
  return server.api("POST", `/bots/${bot}/ports/${PORT}/link`, { ttl_seconds: 60 }, token);
}

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0) * 1024;
}
