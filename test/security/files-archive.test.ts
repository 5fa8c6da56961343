// Issue 13 §6: tar, path and symlink attacks on export and import, against
// a real server and bots of BOTBOX_TEST_RUNTIME. Every hostile archive is
// refused with a 4xx naming the member, and lands nothing: not in the bot
// outside /data, not in its /data, not on the host, not in the neighbour bot.
// Where the attack is real without botbox's check, the same archive is
// unpacked by GNU tar with -P inside the bot and does land (so the test can
// fail). The tar bomb is generated lazily: only what the server reads is made.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { createGzip, gunzipSync, gzipSync } from "node:zlib";

import { type BotboxServer, startBotboxServer, TEST_RUNTIME } from "../support/botbox-server.js";
import { execIn, removeServer } from "../support/bots.js";

const asRoot = process.getuid?.() === 0;

interface Member {
  name: string;
  /** "0" file, "1" hard link, "2" symlink, "3" character device, "5" folder. */
  type?: string;
  linkName?: string;
  content?: string;
  /** A size to claim in the header, for a member whose data follows separately. */
  size?: number;
}

/** One ustar header; what GNU tar itself would refuse to write. */
function header(member: Member): Buffer {
  const block = Buffer.alloc(512);
  const size = member.size ?? Buffer.byteLength(member.content ?? "");
  block.write(member.name, 0, 100, "utf8");
  block.write(member.type === "5" ? "0000755\0" : "0000644\0", 100);
  block.write("0000000\0", 108);
  block.write("0000000\0", 116);
  block.write(`${size.toString(8).padStart(11, "0")}\0`, 124);
  block.write(`${Math.floor(Date.now() / 1000).toString(8)}\0`, 136);
  block.write(member.type ?? "0", 156);
  block.write(member.linkName ?? "", 157, 100, "utf8");
  block.write("ustar\x0000", 257, "latin1");
  if (member.type === "3") block.write("0000001\0", 329);
  if (member.type === "3") block.write("0000003\0", 337);
  block.fill(0x20, 148, 156);
  const sum = block.reduce((total, byte) => total + byte, 0);
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
  return block;
}

function tarOf(members: Member[]): Buffer {
  const parts: Buffer[] = [];
  for (const member of members) {
    parts.push(header(member));
    const data = Buffer.from(member.content ?? "");
    parts.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  return Buffer.concat([...parts, Buffer.alloc(1024)]);
}

/** A real tar.gz of one `bytes`-byte file of zeros, made only as fast as it is read. */
function lazyBomb(bytes: number): { stream: Readable; made: () => number } {
  let made = 0;
  const gzip = createGzip({ level: 1 });
  async function* tar() {
    yield header({ name: "zeros.bin", size: bytes });
    const zeros = Buffer.alloc(2 ** 20);
    for (let left = bytes; left > 0; left -= zeros.length) {
      made += Math.min(left, zeros.length);
      yield left >= zeros.length ? zeros : zeros.subarray(0, left);
    }
    yield Buffer.alloc(1024);
  }
  return { stream: Readable.from(tar()).pipe(gzip), made: () => made };
}

/**
 * Streams a body and takes the answer whenever it comes: a server that
 * refuses midway answers and closes, which fetch reports as a failure.
 */
function postAnswerEarly(
  url: string,
  token: string,
  body: Readable,
): Promise<{ status: number; body: { error: { message: string } } }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/gzip" },
    });
    request.on("response", (response) => {
      let text = "";
      response.setEncoding("utf8").on("data", (part: string) => (text += part));
      response.on("end", () => {
        body.unpipe(request);
        body.destroy();
        resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
      });
    });
    // A write after the server answered and closed fails (EPIPE, a reset): the
    // answer already came or is coming, so it is waited for a while before the
    // write's error counts.
    request.on("error", (error: NodeJS.ErrnoException) => {
      if (request.destroyed && body.destroyed) return;
      if (error.code !== "EPIPE" && error.code !== "ECONNRESET") return reject(error);
      body.unpipe(request);
      body.destroy();
      setTimeout(() => reject(error), 5_000).unref();
    });
    body.pipe(request);
  });
}

describe(`export and import under attack (${TEST_RUNTIME})`, { skip: !asRoot && "needs root" }, () => {
  let server: BotboxServer;
  let hostScratch: string;
  const bots = ["tar-a", "tar-b"];
  const secret = randomBytes(12).toString("hex");

  const exec = (botId: string, command: string) => execIn(server, botId, command);
  const importInto = async (botId: string, body: Buffer | Readable, replace = false) => {
    const response = await fetch(`${server.url}/bots/${botId}/container/import${replace ? "?replace=true" : ""}`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/gzip" },
      body: Buffer.isBuffer(body) ? body : (Readable.toWeb(body) as unknown as ReadableStream),
      duplex: "half",
    } as RequestInit);
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  /** Everything of the bot outside /proc, /sys and /dev that could change: names only. */
  const botTree = async (botId: string) =>
    (await exec(botId, "find /data /tmp /root /home /app -xdev 2>/dev/null | LC_ALL=C sort")).stdout;
  const hostScratchNames = async () => (await readdir(hostScratch)).sort();
  /** Unpacks the archive with GNU tar in the bot as an unchecked import would, names taken as given. */
  const unpackWithoutChecks = async (botId: string, archive: Buffer) => {
    const upload = await fetch(`${server.url}/bots/${botId}/container/fs/upload?path=/data/unchecked.tar.gz`, {
      method: "PUT",
      headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/octet-stream" },
      body: archive,
    });
    assert.equal(upload.status, 200, await upload.text());
    return exec(botId, "mkdir -p /data/unchecked && tar -xzPf /data/unchecked.tar.gz -C /data/unchecked; echo done");
  };

  before(async () => {
    server = await startBotboxServer();
    hostScratch = await mkdtemp(path.join(tmpdir(), "botbox-tar-attack-"));
    execFileSync("sh", ["-c", `echo host > ${hostScratch}/sentinel`]);
    for (const id of bots) {
      assert.equal((await server.api("POST", "/bots", { id, name: id })).status, 201);
      const started = await server.api("POST", `/bots/${id}/container`);
      assert.equal(started.status, 201, JSON.stringify(started.body));
    }
    await exec("tar-b", `echo ${secret} > /data/secret`);
  });
  after(async () => {
    await removeServer(server, bots);
    if (hostScratch) await rm(hostScratch, { recursive: true, force: true });
  });

  const attacks: [string, Member[], RegExp, string | undefined][] = [
    [
      "a ../ member",
      [
        { name: "ok.txt", content: "ok" },
        { name: "../../tmp/escaped-dotdot", content: "pwned" },
      ],
      /would land outside the data folder/,
      "/tmp/escaped-dotdot",
    ],
    [
      "an absolute member",
      [{ name: "/tmp/escaped-absolute", content: "pwned" }],
      /would land outside the data folder/,
      "/tmp/escaped-absolute",
    ],
    [
      "a symlink member, then a file through it",
      [
        { name: "hop", type: "2", linkName: "/tmp" },
        { name: "hop/escaped-through-link", content: "pwned" },
      ],
      /goes through the symbolic link "hop"/,
      "/tmp/escaped-through-link",
    ],
    [
      "a symlink member to the host's folder, then a file through it",
      [
        { name: "to-host", type: "2", linkName: "HOST" },
        { name: "to-host/planted", content: "pwned" },
      ],
      /goes through the symbolic link "to-host"/,
      undefined, // The host's folder does not exist in the bot: nothing to land in.
    ],
    [
      "a hard link to an absolute path",
      [{ name: "hard", type: "1", linkName: "/etc/hostname" }],
      /hard link "hard" to "\/etc\/hostname" would land outside/,
      undefined, // /etc is read-only in the bot; the link cannot be made anyway.
    ],
    [
      "a hard link that climbs",
      [{ name: "hard", type: "1", linkName: "../../etc/hostname" }],
      /would land outside the data folder/,
      undefined,
    ],
    [
      "a hard link through a symlink member",
      [
        { name: "up", type: "2", linkName: "/etc" },
        { name: "hard", type: "1", linkName: "up/hostname" },
      ],
      /goes through the symbolic link "up"/,
      undefined,
    ],
    [
      "a character device",
      [{ name: "null", type: "3" }],
      /"null" is a character device/,
      undefined, // mknod needs a privilege a bot may or may not have; the check refuses it either way.
    ],
  ];
  for (const [what, members, refusal, landsWithoutCheck] of attacks) {
    it(`refuses an archive with ${what}, and nothing lands anywhere`, async () => {
      const archive = gzipSync(
        tarOf(members.map((member) => ({ ...member, linkName: member.linkName?.replace("HOST", hostScratch) }))),
      );
      const before = await botTree("tar-a");
      for (const replace of [false, true]) {
        const refused = await importInto("tar-a", archive, replace);
        assert.equal(refused.status, 400, JSON.stringify(refused.body));
        assert.match(refused.body.error.message, refusal);
      }
      assert.equal(await botTree("tar-a"), before, "the bot is unchanged, /data included");
      assert.deepEqual(await hostScratchNames(), ["sentinel"], "nothing landed on the host");
      assert.equal((await readFile(path.join(hostScratch, "sentinel"), "utf8")).trim(), "host");
      assert.equal((await exec("tar-b", "cat /data/secret")).stdout.trim(), secret, "the neighbour is unchanged");
      if (landsWithoutCheck) {
        // Control: unchecked, the same archive writes outside /data.
        await unpackWithoutChecks("tar-a", archive);
        assert.equal((await exec("tar-a", `cat ${landsWithoutCheck}`)).stdout, "pwned");
        await exec("tar-a", `rm -rf ${landsWithoutCheck} /data/unchecked /data/unchecked.tar.gz`);
      }
    });
  }

  it("imports a benign archive with folders, files and links that stay inside", async () => {
    const archive = gzipSync(
      tarOf([
        { name: "notes", type: "5" },
        { name: "notes/a.txt", content: "alpha" },
        { name: "notes/link", type: "2", linkName: "a.txt" },
        { name: "notes/abs-link", type: "2", linkName: "/etc/hostname" },
        { name: "notes/hard", type: "1", linkName: "notes/a.txt" },
      ]),
    );
    const imported = await importInto("tar-a", archive);
    assert.equal(imported.status, 200, JSON.stringify(imported.body));
    const seen = await exec("tar-a", "cat /data/notes/link /data/notes/hard; readlink /data/notes/abs-link");
    assert.equal(seen.stdout, "alphaalpha/etc/hostname\n");
    await exec("tar-a", "rm -rf /data/notes");
  });

  it("refuses a tar bomb past the unpacked limit with 413 after reading only its start", async () => {
    const before = await botTree("tar-a");
    // 11 GiB of zeros, past the default 10 GiB limit, about 11 MiB gzipped.
    const bomb = lazyBomb(11 * 2 ** 30);
    const refused = await postAnswerEarly(`${server.url}/bots/tar-a/container/import`, server.adminToken, bomb.stream);
    assert.equal(refused.status, 413, JSON.stringify(refused.body));
    assert.match(refused.body.error.message, /unpacks to more than \d+ bytes/);
    assert.ok(bomb.made() < 2 ** 30, `the server read ${bomb.made()} bytes of zeros before refusing`);
    assert.equal(await botTree("tar-a"), before, "no work folder or file is left");
  });

  it("exports links as links: neither the bot's /etc/shadow nor a neighbour's file is in the archive", async () => {
    const neighbourData = `/proc/${(await exec("tar-b", "echo $$")).stdout.trim()}/root/data/secret`;
    await exec(
      "tar-a",
      `ln -s /etc/shadow /data/shadow && ln -s ${neighbourData} /data/neighbour && ln -s ${hostScratch}/sentinel /data/host`,
    );
    const response = await fetch(`${server.url}/bots/tar-a/container/export`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    assert.equal(response.status, 200);
    const archive = Buffer.from(await response.arrayBuffer());
    const listing = execFileSync("tar", ["-tvzf", "-"], { input: archive }).toString();
    for (const name of ["shadow", "neighbour", "host"]) assert.match(listing, new RegExp(`^l.* \\./${name} -> `, "m"));
    const unpacked = gunzipSync(archive);
    assert.ok(!unpacked.includes(secret), "the neighbour's secret is not in the archive");
    assert.ok(!unpacked.includes("host\n"), "the host's file is not in the archive");
    const hostShadow = (await readFile("/etc/shadow", "utf8").catch(() => "")).split("\n")[0]!;
    if (hostShadow) assert.ok(!unpacked.includes(hostShadow), "the host's /etc/shadow is not in the archive");
    await exec("tar-a", "rm -f /data/shadow /data/neighbour /data/host");
  });
});
