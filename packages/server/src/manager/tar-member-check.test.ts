import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { after, before, describe, it } from "node:test";

import { BadRequestError } from "../errors.js";
import { TarMemberCheck, UnpackedTooLargeError } from "./tar-member-check.js";

/** One ustar header block; enough to build archives GNU tar would refuse to write. */
function header(name: string, options: { type?: string; linkName?: string; size?: number } = {}): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0, 100, "utf8");
  block.write("0000644\0", 100);
  block.write(`${(options.size ?? 0).toString(8).padStart(11, "0")}\0`, 124);
  block.write(options.type ?? "0", 156);
  block.write(options.linkName ?? "", 157, 100, "utf8");
  block.write("ustar\x0000", 257, "latin1");
  block.fill(0x20, 148, 156);
  const sum = block.reduce((total, byte) => total + byte, 0);
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
  return block;
}

function archive(...members: Buffer[]): Buffer {
  return Buffer.concat([...members, Buffer.alloc(1024)]);
}

/** A pax extended header carrying `path=` for the member after it. */
function paxPath(value: string): Buffer {
  let record = ` path=${value}\n`;
  let length = record.length;
  while (`${length}${record}`.length !== length) length = `${length}${record}`.length;
  record = `${length}${record}`;
  const data = Buffer.alloc(Math.ceil(record.length / 512) * 512);
  data.write(record);
  return Buffer.concat([header("PaxHeader", { type: "x", size: record.length }), data]);
}

/** Runs data through the check in small chunks, so headers straddle chunk boundaries. */
async function check(data: Buffer, chunkBytes = 100): Promise<Buffer> {
  return (await checkCounting(data, chunkBytes)).output;
}

async function checkCounting(data: Buffer, chunkBytes: number): Promise<{ output: Buffer; members: number }> {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += chunkBytes)
    chunks.push(data.subarray(offset, offset + chunkBytes));
  const checker = new TarMemberCheck();
  const output = await buffer(Readable.from(chunks).pipe(checker));
  return { output, members: checker.members };
}

describe("TarMemberCheck", () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "botbox-tarcheck-"));
    const tree = path.join(dir, "tree");
    const deep = path.join(tree, "a".repeat(90), "b".repeat(90));
    await mkdir(deep, { recursive: true });
    await writeFile(path.join(deep, "c".repeat(120)), "long names");
    await writeFile(path.join(tree, "data.bin"), Buffer.alloc(70_000, 7));
    await symlink("../outside/target", path.join(tree, "relative-link"));
    await symlink("/etc/hostname", path.join(tree, "absolute-link"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const format of ["gnu", "pax", "ustar"]) {
    it(`passes a real ${format} archive through byte for byte, long names and symlinks with .. included`, async () => {
      // ustar cannot hold names this long; its own limits are GNU tar's business.
      const names = format === "ustar" ? ["./data.bin", "./relative-link"] : ["."];
      const tar = execFileSync("tar", ["-cf", "-", `--format=${format}`, "-C", path.join(dir, "tree"), ...names]);
      const { output, members } = await checkCounting(tar, 777);
      assert.ok(output.equals(tar));
      assert.equal(members, format === "ustar" ? 2 : 7, "every member was seen, none skipped as data");
    });
  }

  const refused: [string, Buffer][] = [
    ["a leading ../", archive(header("../escape.txt"))],
    ["an absolute path", archive(header("/etc/cron.d/evil"))],
    ["a .. in the middle", archive(header("ok/../../escape.txt"))],
    ["a hard link to an absolute path", archive(header("innocent", { type: "1", linkName: "/etc/shadow" }))],
    ["a hard link that climbs", archive(header("innocent", { type: "1", linkName: "../../x" }))],
    ["a pax path that climbs", archive(paxPath("../../pax-escape"), header("harmless-name"))],
  ];
  for (const [what, data] of refused) {
    it(`refuses an archive with ${what}`, async () => {
      await assert.rejects(check(data), (error: unknown) => {
        assert.ok(error instanceof BadRequestError);
        assert.match(error.message, /would land outside the data folder/);
        return true;
      });
    });
  }

  it("accepts a symlink whose target climbs or is absolute", async () => {
    const data = archive(
      header("link", { type: "2", linkName: "../../shared" }),
      header("abs", { type: "2", linkName: "/usr" }),
    );
    assert.ok((await check(data)).equals(data));
  });

  const refusedOtherwise: [string, Buffer, RegExp][] = [
    [
      "a file written through a link it made",
      archive(header("link", { type: "2", linkName: "/etc" }), header("./link/passwd", { size: 0 })),
      /goes through the symbolic link "link"/,
    ],
    [
      "a hard link through a link it made",
      archive(header("a/up", { type: "2", linkName: "../.." }), header("h", { type: "1", linkName: "a/up/x" })),
      /hard link "h" to "a\/up\/x" goes through the symbolic link "a\/up"/,
    ],
    ["a character device", archive(header("null", { type: "3" })), /"null" is a character device/],
    ["a block device", archive(header("disk", { type: "4" })), /"disk" is a block device/],
  ];
  for (const [what, data, message] of refusedOtherwise) {
    it(`refuses an archive with ${what}`, async () => {
      await assert.rejects(check(data), (error: unknown) => {
        assert.ok(error instanceof BadRequestError);
        assert.match(error.message, message);
        return true;
      });
    });
  }

  it("accepts a file beside a link, a link named like a folder's prefix, and a FIFO", async () => {
    const data = archive(
      header("link", { type: "2", linkName: "/etc" }),
      header("link-not/file"),
      header("linked/file"),
      header("pipe", { type: "6" }),
    );
    assert.ok((await check(data)).equals(data));
  });

  it("rejects a header with a wrong checksum and an archive cut off inside a member", async () => {
    const corrupt = archive(header("file.txt"));
    corrupt[10] = 0x41;
    await assert.rejects(check(corrupt), /bad header checksum/);
    const truncated = Buffer.concat([header("big", { size: 4096 }), Buffer.alloc(1000)]);
    await assert.rejects(check(truncated), /truncated/);
  });

  it("counts what the archive unpacks to and refuses the member that passes the limit, before forwarding it", async () => {
    // Header (512) + 1000 bytes, then a header and 2000 more: 4024 in all.
    const data = archive(
      header("first", { size: 1000 }),
      Buffer.alloc(1024),
      header("second", { size: 2000 }),
      Buffer.alloc(2048),
    );
    const counted = new TarMemberCheck({ maxUnpackedBytes: 4024 });
    await buffer(Readable.from([data]).pipe(counted));
    assert.equal(counted.unpackedBytes, 4024);
    const forwarded: Buffer[] = [];
    const limited = new TarMemberCheck({ maxUnpackedBytes: 4023 });
    limited.on("data", (chunk: Buffer) => forwarded.push(chunk));
    const chunks = [data.subarray(0, 1536), data.subarray(1536)];
    await assert.rejects(
      new Promise((resolve, reject) => Readable.from(chunks).pipe(limited).on("error", reject).on("end", resolve)),
      (error: unknown) => {
        assert.ok(error instanceof UnpackedTooLargeError);
        assert.equal(error.code, "payload_too_large");
        assert.match(error.message, /unpacks to more than 4023 bytes/);
        return true;
      },
    );
    assert.equal(Buffer.concat(forwarded).length, 1536, "the second member's header was not passed on");
  });

  it("stops checking at the end-of-archive block, as GNU tar stops reading", async () => {
    const data = Buffer.concat([archive(header("fine")), Buffer.from("trailing bytes that are not a header")]);
    assert.ok((await check(data)).equals(data));
  });
});
