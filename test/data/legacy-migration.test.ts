import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { pino } from "pino";

import { migrateLegacyData } from "../../packages/server/src/manager/legacy-migration.js";
import { type AgentWithClient, startAgentWithClient, stopAgentWithClient } from "../support/agent-with-client.js";
import { buildSampleTree, manifest } from "./support.js";

const NOBODY = 65534;

describe("migrateLegacyData, with the original's bugs fixed, against a real agent", () => {
  const agents: AgentWithClient[] = [];
  const logger = pino({ level: "silent" });
  let dataRoot: string;

  before(async () => {
    dataRoot = await mkdtemp(path.join(tmpdir(), "botbox-legacy-"));
    // Readable by others, for the test that walks as an unprivileged user.
    await chmod(dataRoot, 0o755);
  });
  after(async () => {
    for (const entry of agents) await stopAgentWithClient(entry);
    await rm(dataRoot, { recursive: true, force: true });
  });

  /** A fresh agent with an empty /data, and the legacy folder of its bot. */
  async function setUp() {
    const botId = randomUUID();
    const { agent, client } = await startAgentWithClient({ botId });
    agents.push({ agent, client });
    const source = path.join(dataRoot, "bots", botId);
    await mkdir(source, { recursive: true });
    const migrate = () => migrateLegacyData({ dataRoot, botId, agent: client, logger });
    return { agent, client, source, migrate };
  }

  it("copies a nested tree with empty files, empty folders, modes and symlinks, then renames the source", async () => {
    const { agent, source, migrate } = await setUp();
    await buildSampleTree(source);
    const expected = await manifest(source);
    const result = await migrate();
    assert.deepEqual(result, { outcome: "migrated", migrated: 13, failed: 0, skipped: 0, source });
    assert.deepEqual(await manifest(agent.dataDir), expected);
    assert.deepEqual(await manifest(`${source}.migrated`), expected, "the source is kept, under its new name");
    await assert.rejects(readdir(source), { code: "ENOENT" });
  });

  it("skips when the .migrated marker exists, and does nothing for an empty or missing source", async () => {
    const { agent, source, migrate } = await setUp();
    assert.equal((await migrate()).outcome, "nothing-to-migrate", "empty");
    await assert.rejects(readdir(`${source}.migrated`), { code: "ENOENT" }, "an empty source is not renamed");
    await rm(source, { recursive: true });
    assert.equal((await migrate()).outcome, "nothing-to-migrate", "missing");

    await mkdir(`${source}.migrated`);
    await mkdir(source);
    await writeFile(path.join(source, "late.txt"), "after the migration");
    assert.deepEqual(await migrate(), { outcome: "already-migrated", migrated: 0, failed: 0, skipped: 0, source });
    assert.deepEqual(await readdir(agent.dataDir), []);
  });

  it("does not rename the source after a copy failure, and a later run finishes the job", async () => {
    const { agent, source, migrate } = await setUp();
    await writeFile(path.join(source, "fine.txt"), "fine");
    await writeFile(path.join(source, "blocked.txt"), "cannot land");
    await mkdir(path.join(source, "dir"));
    await writeFile(path.join(source, "dir/inner.txt"), "inner");
    execFileSync("ln", ["-s", "fine.txt", path.join(source, "blocked-link")]);
    // Folders already in /data where a file and a link must go: the agent cannot write those.
    await mkdir(path.join(agent.dataDir, "blocked.txt/occupied"), { recursive: true });
    await mkdir(path.join(agent.dataDir, "blocked-link/occupied"), { recursive: true });

    const first = await migrate();
    assert.equal(first.outcome, "incomplete");
    assert.equal(first.failed, 2);
    assert.equal(first.migrated, 3, "fine.txt, dir and dir/inner.txt were still copied");
    assert.deepEqual(await readdir(source), ["blocked-link", "blocked.txt", "dir", "fine.txt"]);
    await assert.rejects(readdir(`${source}.migrated`), { code: "ENOENT" });

    await rm(path.join(agent.dataDir, "blocked.txt"), { recursive: true });
    await rm(path.join(agent.dataDir, "blocked-link"), { recursive: true });
    const second = await migrate();
    assert.deepEqual([second.outcome, second.failed], ["migrated", 0]);
    assert.equal(await readFile(path.join(agent.dataDir, "blocked.txt"), "utf8"), "cannot land");
    assert.equal(await readFile(path.join(agent.dataDir, "blocked-link"), "utf8"), "fine");
  });

  it("does not rename the source when a subfolder cannot be read", async () => {
    const { client, source, migrate } = await setUp();
    await writeFile(path.join(source, "readable.txt"), "ok");
    await mkdir(path.join(source, "locked"));
    await writeFile(path.join(source, "locked/hidden.txt"), "hidden");
    await chmod(path.join(source, "locked"), 0o000);
    // Root reads anything, so the walk runs as nobody; the channel to the
    // agent is opened first, as root.
    const asRoot = process.getuid?.() === 0;
    await client.info();
    if (asRoot) process.seteuid!(NOBODY);
    let result;
    try {
      result = await migrate();
    } finally {
      if (asRoot) process.seteuid!(0);
      await chmod(path.join(source, "locked"), 0o755);
    }
    assert.equal(result.outcome, "incomplete");
    assert.equal(result.failed, 1, "the locked folder's contents");
    assert.equal(result.migrated, 2, "readable.txt and the (empty) locked folder itself");
    assert.deepEqual((await readdir(source)).sort(), ["locked", "readable.txt"], "still there, not renamed");
  });

  it("stops at once when the agent goes away, and keeps the source for the next start", async () => {
    const { agent, source, migrate } = await setUp();
    for (let i = 0; i < 50; i++) await writeFile(path.join(source, `file-${i}.txt`), `${i}`);
    await agent.stop();
    const result = await migrate();
    assert.equal(result.outcome, "incomplete");
    assert.ok(result.failed >= 1 && result.failed <= 5, `failed ${result.failed} times, not once per file`);
    assert.equal((await readdir(source)).length, 50);
  });

  it("skips FIFOs without counting them as failures", async () => {
    const { agent, source, migrate } = await setUp();
    await writeFile(path.join(source, "file.txt"), "data");
    execFileSync("mkfifo", [path.join(source, "pipe")]);
    const result = await migrate();
    assert.deepEqual([result.outcome, result.migrated, result.failed, result.skipped], ["migrated", 1, 0, 1]);
    assert.deepEqual(await readdir(agent.dataDir), ["file.txt"]);
  });

  it("resolves a relative data_root to an absolute path, and lets a second caller join a running migration", async () => {
    const { client, source } = await setUp();
    await writeFile(path.join(source, "file.txt"), "data");
    const botId = path.basename(source);
    const relativeRoot = path.relative(process.cwd(), dataRoot);
    const first = migrateLegacyData({ dataRoot: relativeRoot, botId, agent: client, logger });
    const second = migrateLegacyData({ dataRoot, botId, agent: client, logger });
    assert.equal(first, second);
    const result = await first;
    assert.equal(result.source, source);
    assert.ok(path.isAbsolute(result.source));
    assert.equal(result.outcome, "migrated");
  });
});
