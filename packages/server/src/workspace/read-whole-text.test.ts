import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { promisify } from "node:util";

import type { AgentProcess } from "../../../../test/support/agent-process.js";
import { stopAgentWithClient } from "../../../../test/support/agent-with-client.js";
import { SHARED_AGENT_TOKEN, sharedAgentWithClient } from "../../../../test/support/shared-agent.js";
import type { AgentClient } from "../client/index.js";
import { ForbiddenError, NotFoundError } from "../errors.js";
import { FileTooLargeError, NotRegularFileError, NotTextFileError } from "./file-errors.js";
import { readWholeText } from "./read-whole-text.js";

describe("readWholeText against a real agent", () => {
  let agent: AgentProcess;
  let client: AgentClient;
  const folder = () => path.join(agent.dataDir, "w");
  const put = (name: string, content: string | Buffer) => writeFile(path.join(folder(), name), content);
  const fails = async (promise: Promise<unknown>): Promise<Error> =>
    promise.then(
      () => assert.fail("expected the read to fail"),
      (error: unknown) => error as Error,
    );

  before(async () => {
    ({ agent, client } = await sharedAgentWithClient({ token: SHARED_AGENT_TOKEN }));
  });
  after(() => stopAgentWithClient({ agent, client }));
  beforeEach(async () => {
    await rm(folder(), { recursive: true, force: true });
    await mkdir(folder(), { recursive: true });
  });

  it("reads a UTF-8 file byte for byte, up to and including the cap", async () => {
    const text = "\ufeffünïcödé\n";
    await put("a.txt", text);
    const size = Buffer.byteLength(text);
    assert.deepEqual(await readWholeText(client, "w/a.txt", { maxBytes: size }), { path: "w/a.txt", text, size });
  });

  it("refuses a file the stat says is over the cap, with its size", async () => {
    await put("big.txt", "x".repeat(101));
    const error = await fails(readWholeText(client, "w/big.txt", { maxBytes: 100 }));
    assert.ok(error instanceof FileTooLargeError);
    assert.deepEqual([error.code, error.sizeBytes, error.limitBytes], ["payload_too_large", 101, 100]);
    assert.match(error.message, /w\/big\.txt is 101 bytes, larger than 100 bytes/);
  });

  it("counts while reading: a file whose stat says 0 bytes still stops at the cap", async () => {
    // /proc files report size 0; the agent's own maps are kilobytes long.
    const error = await fails(readWholeText(client, "/proc/self/maps", { maxBytes: 64 }));
    assert.ok(error instanceof FileTooLargeError);
    assert.equal(error.sizeBytes, undefined);
    // The same file with room for it is read: the cap, not the file, refused it.
    const whole = await readWholeText(client, "/proc/self/maps", { maxBytes: 2 ** 20 });
    assert.ok(whole.size > 64);
  });

  it("opens only regular files: a folder, a FIFO, a device and a link to a FIFO are refused at once", async () => {
    await mkdir(path.join(folder(), "sub"));
    await promisify(execFile)("mkfifo", [path.join(folder(), "pipe")]);
    await symlink("pipe", path.join(folder(), "to-pipe"));
    const started = Date.now();
    const dir = await fails(readWholeText(client, "w/sub", { maxBytes: 100 }));
    assert.ok(dir instanceof NotRegularFileError);
    assert.deepEqual([dir.code, dir.message], ["is_a_directory", "w/sub is a directory"]);
    for (const target of ["w/pipe", "w/to-pipe", "/dev/zero"]) {
      const error = await fails(readWholeText(client, target, { maxBytes: 100 }));
      assert.ok(error instanceof NotRegularFileError, target);
      assert.equal(error.code, "bad_request");
      assert.match(error.message, /is not a regular file \(mode [pD]/, target);
    }
    assert.ok(Date.now() - started < 5000, "no read blocked");
  });

  it("stats a listed link's target instead of trusting the listing", async () => {
    await promisify(execFile)("mkfifo", [path.join(folder(), "pipe")]);
    await symlink("pipe", path.join(folder(), "link"));
    await put("plain.txt", "plain");
    await symlink("plain.txt", path.join(folder(), "good-link"));
    const listed = new Map((await client.listDir("w")).map((entry) => [entry.path, entry]));
    assert.equal(listed.get("link")?.kind, "symlink");
    await assert.rejects(
      readWholeText(client, "w/link", { maxBytes: 100, known: listed.get("link") }),
      NotRegularFileError,
    );
    const read = await readWholeText(client, "w/good-link", { maxBytes: 100, known: listed.get("good-link") });
    assert.equal(read.text, "plain");
  });

  it("decodes strictly: invalid UTF-8 is refused, NUL only where the caller probes for it", async () => {
    await put("latin1.txt", Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    const latin = await fails(readWholeText(client, "w/latin1.txt", { maxBytes: 100 }));
    assert.ok(latin instanceof NotTextFileError);
    assert.deepEqual([latin.code, latin.reason], ["unsupported_media_type", "not_utf8"]);

    await put("nul.bin", Buffer.from("ab\0cd"));
    assert.equal((await readWholeText(client, "w/nul.bin", { maxBytes: 100 })).text, "ab\0cd");
    const binary = await fails(readWholeText(client, "w/nul.bin", { maxBytes: 100, binaryProbeBytes: Infinity }));
    assert.ok(binary instanceof NotTextFileError);
    assert.equal(binary.reason, "binary");
    // A probe that stops before the NUL lets it through.
    assert.equal((await readWholeText(client, "w/nul.bin", { maxBytes: 100, binaryProbeBytes: 2 })).size, 5);
  });

  it("names a missing file", async () => {
    const error = await fails(readWholeText(client, "w/gone.txt", { maxBytes: 100 }));
    assert.ok(error instanceof NotFoundError);
    assert.match(error.message, /^not found: w\/gone\.txt/);
  });

  it("without following links: reads a plain file, refuses a link, and keeps the cap", async () => {
    await put("plain.txt", "plain");
    await symlink("plain.txt", path.join(folder(), "link"));
    const options = { maxBytes: 100, noFollowRoot: "" };
    assert.equal((await readWholeText(client, "w/plain.txt", options)).text, "plain");
    await assert.rejects(readWholeText(client, "w/link", options), ForbiddenError);
    await put("big.txt", "x".repeat(101));
    await assert.rejects(readWholeText(client, "w/big.txt", options), FileTooLargeError);
    await assert.rejects(readWholeText(client, "w/gone", options), NotFoundError);
  });
});
