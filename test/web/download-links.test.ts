// Signed download and export links against a real `botbox serve` and bot:
// a genuine link streams without a token; a forged, expired, other-file or
// other-bot link is refused, and so is the route with no link at all.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { addBots, botToken, removeServer } from "../support/bots.js";

const BOT = "links-a";
const OTHER = "links-b";

describe("signed download links", { timeout: 180_000 }, () => {
  let server: BotboxServer;

  /** A signed URL's path from the API, as the console asks for it. */
  const mint = async (botId: string, body: Record<string, unknown>, token?: string) => {
    const answer = await server.api("POST", `/bots/${botId}/container/fs/download-link`, body, token);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body as { url: string; path: string; expires_at: string };
  };
  /** GET without any token: only the link may let it through. */
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { headers });
  const errorCode = async (response: Response) => ((await response.json()) as { error: { code: string } }).error.code;

  before(async () => {
    server = await startBotboxServer();
    await addBots(server, [BOT, OTHER]);
    for (const botId of [BOT, OTHER]) {
      const written = await server.api("POST", `/bots/${botId}/container/fs/write`, {
        path: "/data/report.txt",
        content: `the report of ${botId}\n`,
      });
      assert.equal(written.status, 200);
    }
    await server.api("POST", `/bots/${BOT}/container/fs/write`, { path: "/data/secret.txt", content: "secret\n" });
  });
  after(() => removeServer(server, [BOT, OTHER]));

  it("streams the named file without a token, as an attachment, honouring Range", async () => {
    const link = await mint(BOT, { path: "/data/report.txt" });
    assert.equal(new URL(link.url).pathname + new URL(link.url).search, link.path);
    assert.ok(!link.path.includes(server.adminToken), "the token never goes into the URL");
    const seconds = (Date.parse(link.expires_at) - Date.now()) / 1000;
    assert.ok(seconds > 30 && seconds <= 60, `a minute by default, not ${seconds} s`);
    const response = await get(link.path);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-disposition"), 'attachment; filename="report.txt"');
    assert.equal(await response.text(), `the report of ${BOT}\n`);
    const part = await get(link.path, { range: "bytes=4-9" });
    assert.equal(part.status, 206);
    assert.equal(await part.text(), "report");
  });

  it("refuses the route with no link, and a link whose signature was altered", async () => {
    const link = await mint(BOT, { path: "/data/report.txt" });
    const bare = link.path.replace(/&link=[^&]+/, "");
    const none = await get(bare);
    assert.equal(none.status, 400);
    const signed = new URL(link.url).searchParams.get("link")!;
    const [version, payload, mac] = signed.split(".");
    const flipped = `${mac!.slice(0, -2)}${mac!.endsWith("AA") ? "BB" : "AA"}`;
    const forged = await get(bare + `&link=${version}.${payload}.${flipped}`);
    assert.equal(forged.status, 401);
    assert.equal(await errorCode(forged), "unauthenticated");
    // The payload of one file, under the MAC of another: the signature covers the path.
    const other = new URL((await mint(BOT, { path: "/data/secret.txt" })).url).searchParams.get("link")!;
    const spliced = await get(bare + `&link=${version}.${other.split(".")[1]}.${mac}`);
    assert.equal(spliced.status, 401);
  });

  it("refuses a genuine link for another file or another bot", async () => {
    const link = await mint(BOT, { path: "/data/report.txt" });
    const otherFile = link.path.replace("report.txt", "secret.txt");
    const refused = await get(otherFile);
    assert.equal(refused.status, 403);
    const otherBot = link.path.replace(`/bots/${BOT}/`, `/bots/${OTHER}/`);
    const crossed = await get(otherBot);
    assert.equal(crossed.status, 403);
    // The same path with its own genuine link is served: the refusal is the scope's.
    const own = await get((await mint(OTHER, { path: "/data/report.txt" })).path);
    assert.equal(await own.text(), `the report of ${OTHER}\n`);
  });

  it("refuses a link once it has expired", async () => {
    const link = await mint(BOT, { path: "/data/report.txt", ttl_seconds: 1 });
    assert.equal((await get(link.path)).status, 200, "it works while it lasts");
    const wait = Date.parse(link.expires_at) - Date.now() + 50;
    await new Promise((resolve) => setTimeout(resolve, Math.max(wait, 0)));
    const expired = await get(link.path);
    assert.equal(expired.status, 401);
    assert.match(((await expired.json()) as { error: { message: string } }).error.message, /expired/);
  });

  it("lets a bot token mint links for its own bot only, and only for files", async () => {
    const token = await botToken(server, BOT);
    const own = await mint(BOT, { path: "/data/report.txt" }, token);
    assert.equal((await get(own.path)).status, 200);
    const other = await server.api(
      "POST",
      `/bots/${OTHER}/container/fs/download-link`,
      { path: "/data/report.txt" },
      token,
    );
    assert.equal(other.status, 404);
    const folder = await server.api("POST", `/bots/${BOT}/container/fs/download-link`, { path: "/data" });
    assert.equal(folder.status, 400);
    assert.match(folder.body.error.message, /is a folder/);
    const missing = await server.api("POST", `/bots/${BOT}/container/fs/download-link`, { path: "/data/nope.txt" });
    assert.equal(missing.status, 404);
    const longLived = await server.api("POST", `/bots/${BOT}/container/fs/download-link`, {
      path: "/data/report.txt",
      ttl_seconds: 86_400,
    });
    assert.equal(longLived.status, 400);
    assert.match(longLived.body.error.message, /body\.ttl_seconds/);
  });

  it("streams /data as a tar.gz for a signed export link, and refuses another bot's", async () => {
    const answer = await server.api("POST", `/bots/${BOT}/container/export-link`, {});
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const response = await get(answer.body.path);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/gzip");
    const archive = Buffer.from(await response.arrayBuffer());
    assert.deepEqual([...archive.subarray(0, 2)], [0x1f, 0x8b], "a gzip stream");
    const crossed = await get((answer.body.path as string).replace(`/bots/${BOT}/`, `/bots/${OTHER}/`));
    assert.equal(crossed.status, 403);
    const download = await mint(BOT, { path: "/data/report.txt" });
    const asExport = `/bots/${BOT}/container/signed-export?link=${new URL(download.url).searchParams.get("link")}`;
    assert.equal((await get(asExport)).status, 403, "a file's link is not an export's");
  });

  it("describes the new routes in the OpenAPI document", async () => {
    const { body } = await server.api("GET", "/openapi.json");
    for (const path of [
      "/bots/{bot_id}/container/fs/download-link",
      "/bots/{bot_id}/container/fs/signed-download",
      "/bots/{bot_id}/container/export-link",
      "/bots/{bot_id}/container/signed-export",
      "/whoami",
    ])
      assert.ok(body.paths[path], `${path} is documented`);
    const whoami = await server.api("GET", "/whoami", undefined, await botToken(server, OTHER));
    assert.deepEqual(whoami.body, { kind: "bot", bot_id: OTHER });
  });
});
