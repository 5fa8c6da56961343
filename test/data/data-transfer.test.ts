import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { BadRequestError, BotboxError } from "../../packages/server/src/errors.js";
import { exportData, importData } from "../../packages/server/src/manager/data-transfer.js";
import { type AgentWithClient, startAgentWithClient, stopAgentWithClient } from "../support/agent-with-client.js";
import { SHARED_AGENT_TOKEN, sharedAgentWithClient } from "../support/shared-agent.js";
import { buildSampleTree, manifest, tarGz } from "./support.js";

describe("exportData and importData against a real agent", () => {
  const started: AgentWithClient[] = [];
  let scratch: string;
  // Two agents with the real tools serve every test that injects no fault:
  // the test process's shared ones (test/support/shared-agent.ts; one with a
  // token, one without, so two data folders). Each such test begins with
  // their data folders emptied. A fault needs an agent of its own.
  let shared: AgentWithClient;
  let sharedTarget: AgentWithClient;

  /** A real agent; `fakeTools` are shell scripts put first on its PATH, to inject one fault. */
  async function workspace(fakeTools: Record<string, string> = {}): Promise<AgentWithClient> {
    const bin = await mkdtemp(path.join(scratch, "bin-"));
    for (const [name, script] of Object.entries(fakeTools)) {
      await writeFile(path.join(bin, name), `#!/bin/sh\n${script}\n`);
      await chmod(path.join(bin, name), 0o755);
    }
    const entry = await startAgentWithClient({ env: { PATH: `${bin}:${process.env.PATH}` } });
    started.push(entry);
    return entry;
  }

  const leftovers = async (dataDir: string) =>
    (await readdir(dataDir)).filter((name) => name.startsWith(".botbox-import-"));

  const emptied = async (entry: AgentWithClient): Promise<AgentWithClient> => {
    const { dataDir } = entry.agent;
    await Promise.all(
      (await readdir(dataDir)).map((name) => rm(path.join(dataDir, name), { recursive: true, force: true })),
    );
    return entry;
  };

  before(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), "botbox-transfer-"));
    [shared, sharedTarget] = await Promise.all([
      sharedAgentWithClient({ token: SHARED_AGENT_TOKEN }),
      sharedAgentWithClient(),
    ]);
    started.push(shared, sharedTarget);
  });
  after(async () => {
    for (const entry of started) await stopAgentWithClient(entry);
    await rm(scratch, { recursive: true, force: true });
  });

  it("exports a tree and a replacing import reproduces it exactly, modes, empty entries and links included", async () => {
    const source = await emptied(shared);
    await buildSampleTree(source.agent.dataDir);
    const archive = await buffer(await exportData(source.client));
    assert.deepEqual([...archive.subarray(0, 2)], [0x1f, 0x8b], "a gzip stream");

    const target = await emptied(sharedTarget);
    await writeFile(path.join(target.agent.dataDir, "old.txt"), "goes away");
    await importData(target.client, Readable.from([archive]), { replace: true });
    assert.deepEqual(await manifest(target.agent.dataDir), await manifest(source.agent.dataDir));
    assert.deepEqual(await leftovers(target.agent.dataDir), []);
  });

  it("a merging import adds and overwrites, and keeps what the archive does not hold", async () => {
    const { agent, client } = await emptied(shared);
    await writeFile(path.join(agent.dataDir, "kept.txt"), "mine");
    await writeFile(path.join(agent.dataDir, "shared.txt"), "old");
    const incoming = await mkdtemp(path.join(scratch, "incoming-"));
    await mkdir(path.join(incoming, "sub"));
    await writeFile(path.join(incoming, "shared.txt"), "new");
    await writeFile(path.join(incoming, "sub/added.txt"), "added");
    await importData(client, Readable.from([tarGz(incoming)]));
    assert.equal(await readFile(path.join(agent.dataDir, "kept.txt"), "utf8"), "mine");
    assert.equal(await readFile(path.join(agent.dataDir, "shared.txt"), "utf8"), "new");
    assert.equal(await readFile(path.join(agent.dataDir, "sub/added.txt"), "utf8"), "added");
    assert.deepEqual(await leftovers(agent.dataDir), []);
  });

  it("a corrupt, cut-off or interrupted archive changes nothing, even with replace", async () => {
    const { agent, client } = await emptied(shared);
    await buildSampleTree(agent.dataDir);
    const before = await manifest(agent.dataDir);
    const good = tarGz(agent.dataDir);
    const interrupted = () => {
      const stream = new Readable({ read() {} });
      stream.push(good.subarray(0, 200));
      setTimeout(() => stream.destroy(new Error("client went away")), 50);
      return stream;
    };
    const cases: [string, () => Readable, RegExp][] = [
      ["not gzip", () => Readable.from([Buffer.from("this is not an archive")]), /not valid gzip/],
      ["cut off", () => Readable.from([good.subarray(0, good.length - 40)]), /not valid gzip|truncated/],
      ["gzip of garbage", () => Readable.from([execFileSync("gzip", { input: Buffer.alloc(4096, 0x41) })]), /corrupt/],
      ["interrupted", interrupted, /client went away/],
    ];
    for (const [what, archive, message] of cases) {
      await assert.rejects(importData(client, archive(), { replace: true }), message, what);
      assert.deepEqual(await manifest(agent.dataDir), before, what);
      assert.deepEqual(await leftovers(agent.dataDir), [], what);
    }
  });

  it("refuses an archive with ../ or absolute members and writes nothing anywhere", async () => {
    const { agent, client } = await emptied(shared);
    await writeFile(path.join(agent.dataDir, "existing.txt"), "untouched");
    const before = await manifest(agent.dataDir);
    const parent = await mkdtemp(path.join(scratch, "evil-"));
    await mkdir(path.join(parent, "inside"));
    await writeFile(path.join(parent, "escape.txt"), "escaped");
    await writeFile(path.join(parent, "inside/fine.txt"), "fine");
    // -P keeps the names as given; GNU tar would strip them otherwise.
    for (const members of [["fine.txt", "../escape.txt"], [path.join(parent, "escape.txt")]]) {
      const archive = tarGz(path.join(parent, "inside"), members, ["-P"]);
      await assert.rejects(importData(client, Readable.from([archive])), (error: unknown) => {
        assert.ok(error instanceof BadRequestError);
        assert.match(error.message, /escape\.txt" would land outside the data folder/);
        return true;
      });
    }
    assert.deepEqual(await manifest(agent.dataDir), before, "not even fine.txt, the member before the bad one");
    const agentRoot = path.dirname(agent.dataDir);
    assert.deepEqual(
      (await readdir(agentRoot)).filter((name) => name.includes("escape")),
      [],
    );
  });

  it("cannot write through a symlink, whether the archive brings it or /data already holds it", async () => {
    const { agent, client } = await emptied(shared);
    const outside = await mkdtemp(path.join(scratch, "outside-"));
    const parts = await mkdtemp(path.join(scratch, "parts-"));
    await mkdir(path.join(parts, "links"));
    await mkdir(path.join(parts, "files/evil"), { recursive: true });
    await mkdir(path.join(parts, "files/up"), { recursive: true });
    execFileSync("ln", ["-s", outside, path.join(parts, "links/evil")]);
    execFileSync("ln", ["-s", path.relative(agent.dataDir, outside), path.join(parts, "links/up")]);
    await writeFile(path.join(parts, "files/evil/pwned"), "absolute");
    await writeFile(path.join(parts, "files/up/pwned"), "relative");
    // The links first, then files "inside" them: refused before tar sees
    // them (GNU tar would defer such links, so the files would fail there).
    const archive = execFileSync("tar", [
      ..."-czf - -C".split(" "),
      path.join(parts, "links"),
      "evil",
      "up",
      "-C",
      path.join(parts, "files"),
      "evil/pwned",
      "up/pwned",
    ]);
    await assert.rejects(importData(client, Readable.from([archive])), /goes through the symbolic link "evil"/);
    assert.deepEqual(await readdir(agent.dataDir), []);

    // A link the bot made itself is not followed by a merge either.
    execFileSync("ln", ["-s", outside, path.join(agent.dataDir, "evil")]);
    const files = tarGz(path.join(parts, "files"), ["evil"]);
    await assert.rejects(importData(client, Readable.from([files])), /cannot overwrite non-directory/);
    assert.deepEqual(await readdir(outside), []);
    assert.deepEqual(await leftovers(agent.dataDir), []);
  });

  it("a replace whose moves fail puts the old data back, at either step", async () => {
    // mv fails for anything named "stuck"; every other move is real.
    const { agent, client } = await workspace({
      mv: 'for a in "$@"; do case "$a" in */stuck) echo "mv: injected failure" >&2; exit 1;; esac; done\nexec /bin/mv "$@"',
    });
    await buildSampleTree(agent.dataDir);
    const incoming = await mkdtemp(path.join(scratch, "incoming-"));
    await writeFile(path.join(incoming, "new.txt"), "new");

    // Step 1: the current data cannot all be moved aside.
    await writeFile(path.join(agent.dataDir, "stuck"), "old and stuck");
    const before = await manifest(agent.dataDir);
    await assert.rejects(importData(client, Readable.from([tarGz(incoming)]), { replace: true }), (error: unknown) => {
      assert.ok(error instanceof BotboxError && error.code === "agent_error");
      assert.match(error.message, /could not move the current data aside; nothing was changed/);
      return true;
    });
    assert.deepEqual(await manifest(agent.dataDir), before);
    assert.deepEqual(await leftovers(agent.dataDir), []);

    // Step 2: the imported data cannot all be moved in.
    await rm(path.join(agent.dataDir, "stuck"));
    await writeFile(path.join(incoming, "stuck"), "new and stuck");
    const before2 = await manifest(agent.dataDir);
    await assert.rejects(
      importData(client, Readable.from([tarGz(incoming)]), { replace: true }),
      /could not move the imported data into place; the old data was restored/,
    );
    assert.deepEqual(await manifest(agent.dataDir), before2);
    assert.deepEqual(await leftovers(agent.dataDir), []);
  });

  it("export reports tar's failure: before the first byte as a rejection, later as a stream error", async () => {
    const early = await workspace({ tar: 'echo "tar: cannot read /data" >&2; exit 2' });
    await assert.rejects(exportData(early.client), /export: tar exited with 2: tar: cannot read \/data/);

    const late = await workspace({ tar: 'printf "partial"; sleep 0.2; echo "tar: disk gone" >&2; exit 2' });
    const stream = await exportData(late.client);
    await assert.rejects(buffer(stream), /export: tar exited with 2: tar: disk gone/);
  });

  it("an export whose reader goes away stops tar in the workspace", async () => {
    const { agent, client } = await emptied(shared);
    await writeFile(path.join(agent.dataDir, "noise.bin"), randomBytes(16 * 2 ** 20));
    const tarsOfAgent = () =>
      execFileSync("sh", ["-c", `pgrep -P ${agent.child.pid} -x tar || true`])
        .toString()
        .trim();
    const stream = await exportData(client);
    await once(stream, "readable");
    // Flow control holds tar back while nobody reads.
    assert.notEqual(tarsOfAgent(), "");
    stream.destroy();
    for (let i = 0; i < 50 && tarsOfAgent() !== ""; i++) await sleep(50);
    assert.equal(tarsOfAgent(), "");
  });

  it("leaves the work folders of an import out of an export", async () => {
    const { agent, client } = await emptied(shared);
    await mkdir(path.join(agent.dataDir, ".botbox-import-0123456789abcdef/new"), { recursive: true });
    await writeFile(path.join(agent.dataDir, "real.txt"), "real");
    const listing = execFileSync("tar", ["-tzf", "-"], { input: await buffer(await exportData(client)) });
    assert.deepEqual(listing.toString().trim().split("\n").sort(), ["./", "./real.txt"]);
  });
});
