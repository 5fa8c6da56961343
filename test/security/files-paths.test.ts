// Issue 13 §6: path and symlink attacks on the file manager and on media,
// against a real server and bots of BOTBOX_TEST_RUNTIME. Bot A names, and
// links to, the host's /etc/shadow, a host folder of the test's and bot B's
// /data by the host paths that lead to them; nothing of the host or of B is
// read or written. The file manager acts inside the bot with the bot's own
// rights, so a link there leads at most to the bot's own files (shown
// working); media, which relies on /data/media staying where it says, uses
// the agent's no-follow calls and refuses a link outright (403).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { type BotboxServer, startBotboxServer, TEST_RUNTIME } from "../support/botbox-server.js";
import { execIn, removeServer } from "../support/bots.js";

const asRoot = process.getuid?.() === 0;

/** The host pid of the `sleep 600` whose root holds /data/secret with this content. */
async function hostPidOfSleeper(secret: string): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    for (const name of await readdir("/proc")) {
      if (!/^\d+$/.test(name)) continue;
      if ((await readFile(`/proc/${name}/cmdline`, "latin1").catch(() => "")) !== "sleep\x00600\x00") continue;
      const data = await readFile(`/proc/${name}/root/data/secret`, "utf8").catch(() => "");
      if (data.trim() === secret) return Number(name);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("B's sleeper is not in the host's process list");
}

describe(`file manager and media under path attacks (${TEST_RUNTIME})`, { skip: !asRoot && "needs root" }, () => {
  let server: BotboxServer;
  let hostScratch: string;
  /** Host paths that lead to B's /data/secret and to the test's own file. */
  let neighbourPath: string;
  let hostFile: string;
  let hostShadow: string;
  const bots = ["paths-a", "paths-b"];
  const secret = randomBytes(12).toString("hex");

  const exec = (botId: string, command: string) => execIn(server, botId, command);
  const get = async (route: string) => {
    const response = await fetch(`${server.url}${route}`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
      signal: AbortSignal.timeout(20_000),
    });
    return { status: response.status, text: await response.text() };
  };
  const download = (botId: string, filePath: string) =>
    get(`/bots/${botId}/container/fs/download?path=${encodeURIComponent(filePath)}`);
  const neitherSecret = (text: string) => {
    assert.ok(!text.includes(secret), "B's secret was read");
    assert.ok(!text.includes("host-only"), "the host's file was read");
    if (hostShadow) assert.ok(!text.includes(hostShadow), "the host's /etc/shadow was read");
  };
  const hostAndNeighbourUnchanged = async () => {
    assert.equal(await readFile(hostFile, "utf8"), "host-only\n");
    assert.equal((await exec("paths-b", "cat /data/secret")).stdout.trim(), secret);
  };

  before(async () => {
    server = await startBotboxServer();
    hostScratch = await mkdtemp(path.join(tmpdir(), "botbox-path-attack-"));
    hostFile = path.join(hostScratch, "host-file");
    await writeFile(hostFile, "host-only\n");
    hostShadow = (await readFile("/etc/shadow", "utf8").catch(() => "")).split("\n")[0] ?? "";
    for (const id of bots) {
      assert.equal((await server.api("POST", "/bots", { id, name: id })).status, 201);
      const started = await server.api("POST", `/bots/${id}/container`);
      assert.equal(started.status, 201, JSON.stringify(started.body));
    }
    await exec("paths-b", `echo ${secret} > /data/secret; setsid sleep 600 </dev/null >/dev/null 2>&1 &`);
    // The host reaches B's file through any of B's processes: its sleeper.
    neighbourPath = `/proc/${await hostPidOfSleeper(secret)}/root/data/secret`;
    assert.equal((await readFile(neighbourPath, "utf8")).trim(), secret, "control: the host path leads to B's file");
  });
  after(async () => {
    await removeServer(server, bots);
    if (hostScratch) await rm(hostScratch, { recursive: true, force: true });
  });

  it("cleans .. and absolute paths to the bot's own root, and refuses NUL", async () => {
    // The same path on the host and in the bot, with different contents.
    const probe = `/tmp/path-probe-${randomBytes(6).toString("hex")}`;
    await writeFile(probe, "host\n");
    try {
      assert.equal((await exec("paths-a", `echo bot > ${probe}`)).exit_code, 0);
      for (const climbing of [`/../../..${probe}`, `../..${probe}`, `/data/../..${probe}`]) {
        const read = await download("paths-a", climbing);
        assert.equal(read.status, 200, read.text);
        assert.equal(read.text, "bot\n", `${climbing} is the bot's own ${probe}`);
      }
    } finally {
      await rm(probe, { force: true });
    }
    for (const bad of ["/data/a\0b", "\0"]) {
      const refused = await download("paths-a", bad);
      assert.equal(refused.status, 400, refused.text);
      assert.match(refused.text, /NUL/);
    }
  });

  it("reads nothing of the host or of B through links or their host paths; a link to the bot's own file works", async () => {
    await exec(
      "paths-a",
      `echo own > /data/own.txt && ln -s /data/own.txt /data/own-link && ln -s /etc/shadow /data/shadow-link &&
       ln -s ${neighbourPath} /data/neighbour-link && ln -s ${hostFile} /data/host-link`,
    );
    const control = await download("paths-a", "/data/own-link");
    assert.equal(control.status, 200);
    assert.equal(control.text, "own\n", "control: the file manager follows a link inside the bot");
    for (const target of [
      "/data/shadow-link",
      "/etc/shadow",
      "/data/neighbour-link",
      neighbourPath,
      "/data/host-link",
      hostFile,
      path.join(server.home, "bots", "paths-b"),
    ]) {
      const read = await download("paths-a", target);
      assert.ok(read.status === 404 || read.status === 400 || read.status === 200, `${target}: ${read.status}`);
      neitherSecret(read.text);
      const text = await get(`/bots/paths-a/container/fs/read?path=${encodeURIComponent(target)}`);
      neitherSecret(text.text);
    }
  });

  it("writes through a link land in the bot itself, never on the host or in B", async () => {
    for (const link of ["/data/host-link", "/data/neighbour-link"]) {
      const written = await server.api("POST", "/bots/paths-a/container/fs/write", { path: link, content: "pwned" });
      assert.notEqual(written.status, 500, JSON.stringify(written.body));
      const uploaded = await fetch(`${server.url}/bots/paths-a/container/fs/upload?path=${encodeURIComponent(link)}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${server.adminToken}` },
        body: "pwned",
      });
      assert.notEqual(uploaded.status, 500, await uploaded.text());
      await hostAndNeighbourUnchanged();
    }
    // Where the host-path write went: the bot's own /tmp, which it may write.
    assert.equal((await exec("paths-a", `cat ${hostFile}`)).stdout, "pwned");
  });

  it("serves and ingests media only from regular files: a link or a FIFO is a 403, a real file works", async () => {
    const stored = await fetch(`${server.url}/bots/paths-a/media?mime=text/plain`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "text/plain" },
      body: "media bytes",
    });
    assert.equal(stored.status, 200, await stored.clone().text());
    const { storage_key: storageKey } = (await stored.json()) as { storage_key: string };
    assert.equal((await get(`/bots/paths-a/media/${storageKey}`)).text, "media bytes", "control: a stored file");

    await exec(
      "paths-a",
      `mkdir -p /data/media/zz && ln -s /etc/passwd /data/media/zz/passwd.txt &&
       ln -s ${neighbourPath} /data/media/zz/neighbour.txt && ln -s /data/media/${storageKey} /data/media/zz/alias.txt &&
       mkfifo /data/media/zz/pipe.txt`,
    );
    // Control: the links are live; the file manager, which follows them inside the bot, reads the bot's passwd.
    assert.match((await download("paths-a", "/data/media/zz/passwd.txt")).text, /^root:/);
    for (const key of ["zz/passwd.txt", "zz/alias.txt", "zz/pipe.txt"]) {
      const refused = await get(`/bots/paths-a/media/${key}`);
      assert.equal(refused.status, 403, `${key}: ${refused.status} ${refused.text}`);
      assert.match(refused.text, /symbolic link|not a regular file/);
    }
    const neighbour = await get("/bots/paths-a/media/zz/neighbour.txt");
    assert.ok([403, 404].includes(neighbour.status), `${neighbour.status} ${neighbour.text}`);
    neitherSecret(neighbour.text);

    const ingest = (body: unknown) => server.api("POST", "/bots/paths-a/media/ingest", body);
    await exec("paths-a", "echo ingest-me > /data/plain.txt && ln -s /etc/passwd /data/passwd-link.txt");
    assert.equal((await ingest({ path: "/data/plain.txt" })).status, 200, "control: a regular file is ingested");
    assert.equal((await ingest({ path: "/data/passwd-link.txt" })).status, 403);
    assert.equal((await ingest({ path: "/data/media/zz/neighbour.txt" })).status, 403);
    for (const bad of ["/data/../etc/passwd", "/etc/passwd", "/data//etc/passwd", "/data/a\0b", neighbourPath]) {
      const refused = await ingest({ path: bad });
      assert.equal(refused.status, 400, `${JSON.stringify(bad)}: ${JSON.stringify(refused.body)}`);
    }
    for (const key of ["..%2F..%2Fetc%2Fpasswd", "zz/..%2F..%2Fplain.txt"]) {
      const refused = await get(`/bots/paths-a/media/${key}`);
      assert.ok([400, 404].includes(refused.status), `${key}: ${refused.status}`);
    }
    await hostAndNeighbourUnchanged();
  });

  it("stores no upload through a linked staging folder; with a real folder it stores", async () => {
    await exec(
      "paths-a",
      "rm -rf /data/media/.incoming && mkdir -p /tmp/elsewhere && ln -s /tmp/elsewhere /data/media/.incoming",
    );
    const upload = () =>
      fetch(`${server.url}/bots/paths-a/media?mime=text/plain`, {
        method: "POST",
        headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "text/plain" },
        body: `fresh ${secret.slice(0, 6)}`,
      });
    const refused = await upload();
    assert.equal(refused.status, 403, await refused.text());
    assert.equal((await exec("paths-a", "ls -A /tmp/elsewhere")).stdout, "", "nothing was written through the link");
    await exec("paths-a", "rm /data/media/.incoming");
    assert.equal((await upload()).status, 200, "control: with the link gone the upload is stored");
  });
});
