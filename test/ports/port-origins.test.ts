// Each bot port on its own browser origin, `<port>-<label>.localhost`
// (docs/ports.md), end to end: a real `botbox serve` on the backend of
// BOTBOX_TEST_RUNTIME, bots serving HTTP and WebSocket with plain node. The
// requests name the port origin in their Host, as a browser would; the
// names resolve to loopback by the client's own lookup.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import WebSocket from "ws";

import { PATH_FORM_CSP, portOriginLabel } from "../../packages/server/src/ports/index.js";
import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { addBots, botToken, removeServer } from "../support/bots.js";
import { startAppIn } from "./app-in-bot.js";
import { echoOverWebSocket, loopbackLookup, requestAt } from "./origin-client.js";
import { linksToRefuse, type RefusedAttempt, refusedAttempts } from "./refused-links.js";

const BOT = "origin-web";
/** An id that is not a DNS label (uppercase, `_`): its origin has an encoded label. */
const OTHER = "Second_Bot";
const PORT = 3000;
const CLI = fileURLToPath(new URL("../../packages/server/dist/botbox.js", import.meta.url));

describe("each bot port on its own origin", { timeout: 300_000 }, () => {
  let server: BotboxServer;
  let admin: Record<string, string>;
  let apiPort: string;
  const origin = (bot = BOT, port = PORT) => `http://${port}-${portOriginLabel(bot)}.localhost:${apiPort}`;
  const signed = async (bot = BOT, port = PORT, ttl = 60) => {
    const { status, body } = await server.api("POST", `/bots/${bot}/ports/${port}/link`, { ttl_seconds: ttl });
    assert.equal(status, 200, JSON.stringify(body));
    return body as { url: string; hostname: string; path: string; expires_at: string };
  };
  const linkOf = (url: string) => new URL(url, "http://x").searchParams.get("botbox_link")!;
  const seen = async (bot = BOT) => Number((await requestAt(`${origin(bot)}/seen`, { headers: admin })).text);

  before(async () => {
    server = await startBotboxServer({ env: { BOTBOX_SERVER_FIRST_REQUEST_TIMEOUT_SECONDS: "1" } });
    admin = { authorization: `Bearer ${server.adminToken}` };
    apiPort = new URL(server.url).port;
    await addBots(server, [BOT, OTHER]);
    await startAppIn(server, [BOT, OTHER], PORT);
  });
  after(() => removeServer(server, [BOT, OTHER]));

  it("signs a link on the port's origin, and botbox port prints it with the address the CLI used", async () => {
    const link = await signed();
    assert.equal(link.hostname, `${PORT}-${BOT}.localhost`);
    assert.match(link.url, new RegExp(`^${origin()}/\\?botbox_link=v1\\.`));
    assert.equal(link.path, `/bots/${BOT}/ports/${PORT}/?botbox_link=${linkOf(link.url)}`);
    assert.match((await signed(OTHER)).hostname, /^3000-second-bot--[a-z2-7]{16}\.localhost$/);
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, "port", OTHER, String(PORT), "--ttl", "60"], {
      env: { ...process.env, BOTBOX_URL: server.url, BOTBOX_TOKEN: server.adminToken },
    });
    assert.match(stdout.trim(), new RegExp(`^${origin(OTHER)}/\\?botbox_link=v1\\.`));
  });

  it("turns the link into a host-only cookie of the origin; the cookie alone then reaches the app at its own paths", async () => {
    const opened = await requestAt(`${(await signed(BOT, PORT, 120)).url}&keep=1`);
    assert.equal(opened.status, 302);
    assert.equal(opened.headers.location, "/?keep=1");
    const [cookie] = opened.headers["set-cookie"]!;
    assert.match(cookie!, /^botbox_link=v1\.[^;]+; Path=\/; Max-Age=1[012]\d; HttpOnly; SameSite=Lax$/);
    const jar = cookie!.split(";")[0]!;
    const followed = await requestAt(`${origin()}/echo-request?q=1`, { headers: { cookie: `${jar}; theirs=2` } });
    assert.equal(followed.status, 200, followed.text);
    const echoed = JSON.parse(followed.text) as { url: string; headers: Record<string, string> };
    assert.equal(echoed.url, "/echo-request?q=1");
    assert.equal(echoed.headers.cookie, "theirs=2");
    assert.equal(echoed.headers["x-forwarded-host"], `${PORT}-${BOT}.localhost:${apiPort}`);
    assert.equal(echoed.headers["x-forwarded-prefix"], undefined);
    // The app's cookies stay as it set them, at its own paths: no prefix on this origin.
    assert.deepEqual(followed.headers["set-cookie"], ["app_session=1; Path=/"]);
    // An encoded label reaches its bot the same way.
    const other = await requestAt((await signed(OTHER)).url);
    const otherJar = other.headers["set-cookie"]![0]!.split(";")[0]!;
    const hello = await requestAt(`${origin(OTHER)}/hello`, { headers: { cookie: otherJar } });
    assert.equal(hello.text, `hello from port ${PORT} at /hello\n`);
  });

  it("serves the admin token and the bot's own token; another bot's token gets 404", async () => {
    assert.equal((await requestAt(`${origin()}/hello`, { headers: admin })).status, 200);
    assert.equal((await requestAt(`${origin(OTHER)}/hello`, { headers: admin })).status, 200);
    const own = { authorization: `Bearer ${await botToken(server, BOT)}` };
    assert.equal((await requestAt(`${origin()}/hello`, { headers: own })).status, 200);
    assert.equal((await requestAt(`${origin(OTHER)}/hello`, { headers: own })).status, 404);
    assert.equal((await requestAt(`http://3000-nobody.localhost:${apiPort}/`, { headers: admin })).status, 404);
    assert.equal((await requestAt(`http://3000-nobody--aaaa.localhost:${apiPort}/`, { headers: admin })).status, 404);
  });

  it("refuses another bot's or port's link and cookie, forged and expired ones, and none reaches the app", async () => {
    const links = await linksToRefuse(server, { bot: BOT, other: OTHER, port: PORT });
    const before = await seen();
    const attempts: RefusedAttempt[] = [
      ...refusedAttempts(links),
      ["another bot's cookie", { cookie: `botbox_link=${links.otherBot}` }, "", 403],
    ];
    for (const [what, headers, query, status] of attempts) {
      for (const method of ["GET", "POST"]) {
        const body = method === "POST" ? "x" : undefined;
        const response = await requestAt(`${origin()}/hello${query}`, { method, headers, body });
        assert.equal(response.status, status, `${what} (${method}): ${response.text}`);
      }
    }
    assert.equal(await seen(), before, "a refused request reached the app");
    // The genuine cookie on the same origin gets through, so the refusals above are the credentials'.
    assert.equal(
      (await requestAt(`${origin()}/hello`, { headers: { cookie: `botbox_link=${links.genuine}` } })).status,
      200,
    );
    assert.equal(await seen(), before + 1);
  });

  it("sends every path on a port origin to the app, never to botbox's API", async () => {
    const before = await seen();
    for (const [method, path] of [
      ["GET", "/bots"],
      ["GET", "/health"],
      ["GET", "/openapi.json"],
      ["POST", `/bots/${BOT}/ports/${PORT}/link`],
      ["DELETE", `/bots/${OTHER}`],
    ] as const) {
      const response = await requestAt(`${origin()}${path}`, { method, headers: admin });
      assert.equal(response.status, 200, `${method} ${path}: ${response.text}`);
      assert.equal(response.text, `hello from port ${PORT} at ${path}\n`, `${method} ${path}`);
      // Without credentials it is refused, not answered by the API (which serves /health to anyone).
      assert.equal((await requestAt(`${origin()}${path}`, { method })).status, 401, `${method} ${path}`);
    }
    assert.equal(await seen(), before + 5);
    // An absolute-form target names a host beside the Host header: refused, not guessed at.
    const absolute = await rawRequest(
      Number(apiPort),
      `GET http://localhost:${apiPort}/bots HTTP/1.1\r\nHost: ${new URL(origin()).host}\r\nAuthorization: ${admin.authorization}\r\nConnection: close\r\n\r\n`,
    );
    assert.match(absolute, /^HTTP\/1\.1 400 /);
    assert.match(absolute, /request target must be a path/);
    // The same requests on botbox's own host are the API's: the difference is the Host alone.
    assert.equal((await requestAt(`${server.url}/health`)).text, '{"status":"ok"}');
    assert.equal((await server.api("GET", `/bots/${OTHER}`)).status, 200, "the DELETE above reached the API");
  });

  it("sandboxes every answer of the path form with a CSP beside the app's own; the port's origin keeps the app's alone", async () => {
    const pathForm = await requestAt(`${server.url}/bots/${BOT}/ports/${PORT}/own-policy`, { headers: admin });
    assert.equal(pathForm.status, 200);
    assert.equal(pathForm.headers["content-security-policy"], `default-src 'self', ${PATH_FORM_CSP}`);
    assert.doesNotMatch(PATH_FORM_CSP, /allow-same-origin/);
    assert.equal(
      (await requestAt(`${server.url}/bots/${BOT}/ports/${PORT}/hello`, { headers: admin })).headers[
        "content-security-policy"
      ],
      PATH_FORM_CSP,
    );
    const redirect = await requestAt(`${server.url}${(await signed()).path}`);
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers["content-security-policy"], PATH_FORM_CSP);
    const refused = await requestAt(`${server.url}/bots/${BOT}/ports/${PORT}/hello`);
    assert.equal(refused.status, 401);
    assert.equal(refused.headers["content-security-policy"], PATH_FORM_CSP);

    const ownOrigin = await requestAt(`${origin()}/own-policy`, { headers: admin });
    assert.equal(ownOrigin.headers["content-security-policy"], "default-src 'self'");
    // A cookie the app sets for the whole domain becomes host-only: it cannot reach other bots' origins.
    assert.deepEqual(ownOrigin.headers["set-cookie"], ["wide=1; Path=/", "narrow=1; Path=/; HttpOnly"]);
  });

  it("passes a WebSocket through the port's origin for a token or the cookie, refuses others' cookies", async () => {
    const ws = origin().replace(/^http/, "ws");
    assert.deepEqual(await echoOverWebSocket(`${ws}/socket?x=1`, admin), {
      message: "ping through the origin",
      path: "/socket?x=1",
    });
    const link = linkOf((await signed()).url);
    assert.deepEqual(await echoOverWebSocket(`${ws}/bots/${BOT}/terminal`, { cookie: `botbox_link=${link}` }), {
      message: "ping through the origin",
      path: `/bots/${BOT}/terminal`,
    });
    const before = await seen();
    assert.deepEqual(await echoOverWebSocket(`${ws}/socket`, {}), { refused: 401 });
    const otherLink = linkOf((await signed(OTHER)).url);
    assert.deepEqual(await echoOverWebSocket(`${ws}/socket`, { cookie: `botbox_link=${otherLink}` }), { refused: 403 });
    assert.equal(await seen(), before, "a refused upgrade reached the app");
  });

  it("keeps a WebSocket open past the first-request timeout, on either form", async () => {
    for (const base of [origin(), `${server.url}/bots/${BOT}/ports/${PORT}`]) {
      const socket = new WebSocket(`${base.replace(/^http/, "ws")}/socket`, {
        headers: admin,
        lookup: loopbackLookup,
      } as WebSocket.ClientOptions);
      await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
      // The server was started with a 1 s first-request timeout; an upgrade is a first request too.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      socket.send("still here");
      const echoed = await new Promise<string>((resolve, reject) => {
        socket.once("message", (data) => resolve(String(data)));
        socket.once("close", () => reject(new Error(`${base}: the WebSocket was closed at the timeout`)));
      });
      assert.equal(echoed, "still here");
      socket.close();
    }
  });
});

describe("the [ports] domain setting", () => {
  it("refuses a domain that is not a lowercase DNS name, naming the setting", async () => {
    for (const domain of ["Preview.Example.com", "bad_name.test", "127.0.0.1"]) {
      const failed = await promisify(execFile)(process.execPath, [CLI, "config", "print"], {
        env: { ...process.env, BOTBOX_PORTS_DOMAIN: domain },
      }).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );
      assert.ok(failed, `${domain} was accepted`);
      assert.notEqual(failed.code, 0);
      assert.match(failed.stderr, /ports\.domain/, failed.stderr);
      assert.match(failed.stderr, /lowercase DNS name/, failed.stderr);
    }
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, "config", "print", "--json"], {
      env: { ...process.env, BOTBOX_PORTS_DOMAIN: "preview.example.com" },
    });
    const settings = JSON.parse(stdout) as { key: string; value: unknown }[];
    assert.equal(settings.find((setting) => setting.key === "ports.domain")?.value, "preview.example.com");
  });
});

/** The whole answer to one request written byte for byte. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, "127.0.0.1", () => socket.end(text));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.once("error", reject);
    socket.once("close", () => resolve(Buffer.concat(chunks).toString()));
  });
}
