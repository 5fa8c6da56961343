// The skills loader and store against a real agent process whose
// data folder plays /data.
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";

import type { AgentClient } from "../../packages/server/src/client/index.js";
import { BadRequestError, NotFoundError } from "../../packages/server/src/errors.js";
import {
  deleteSkills,
  loadSkills,
  MAX_SKILL_BYTES,
  SkillTooLargeError,
  upsertSkills,
} from "../../packages/server/src/skills/index.js";
import type { AgentProcess } from "../support/agent-process.js";
import { stopAgentWithClient } from "../support/agent-with-client.js";
import { SHARED_AGENT_TOKEN, sharedAgentWithClient } from "../support/shared-agent.js";

const TOKEN = SHARED_AGENT_TOKEN;

describe("skills loader and store over a real agent", () => {
  let agent: AgentProcess;
  let client: AgentClient;
  const skillsDir = () => path.join(agent.dataDir, ".skills");
  const put = async (relative: string, content: string | Buffer) => {
    const file = path.join(skillsDir(), relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  };

  before(async () => {
    ({ agent, client } = await sharedAgentWithClient({ token: TOKEN }));
  });
  after(() => stopAgentWithClient({ agent, client }));
  beforeEach(() => rm(skillsDir(), { recursive: true, force: true }));

  it("no /data/.skills means no skills and no errors", async () => {
    assert.deepEqual(await loadSkills(client), { skills: [], errors: [] });
  });

  it("reads the raw file: frontmatter is parsed, no line numbers, nothing cut at 5 KiB", async () => {
    const body = Array.from({ length: 400 }, (_, i) => `step ${i + 1}: do the thing carefully`).join("\n");
    const raw = `---\nname: deploy\ndescription: Ship the service\nmetadata:\n  owner: ops\n  tags: [ci, cd]\n---\n\n${body}\n`;
    await put("deploy/SKILL.md", raw);
    const { skills, errors } = await loadSkills(client);
    assert.deepEqual(errors, []);
    assert.deepEqual(skills, [
      {
        name: "deploy",
        description: "Ship the service",
        content: body,
        metadata: { owner: "ops", tags: ["ci", "cd"] },
        raw,
      },
    ]);
    assert.ok(Buffer.byteLength(raw) > 5120);
  });

  it("a skill without frontmatter is named by its folder; a bare SKILL.md is 'default'", async () => {
    await put("notes/SKILL.md", "Remember the milk.\n");
    await put("SKILL.md", "The default behaviour.");
    const { skills, errors } = await loadSkills(client);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      skills.map((skill) => [skill.name, skill.description, skill.content]),
      [
        ["default", "default", "The default behaviour."],
        ["notes", "notes", "Remember the milk."],
      ],
    );
  });

  it("invalid YAML falls back to the folder name and the body, and is reported", async () => {
    await put("broken/SKILL.md", "---\nname: [oops\n---\nThe body.");
    const warnings: unknown[] = [];
    const { skills, errors } = await loadSkills(client, { logger: { warn: (object) => warnings.push(object) } });
    assert.deepEqual(
      skills.map((skill) => [skill.name, skill.content]),
      [["broken", "The body."]],
    );
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.path, "/data/.skills/broken/SKILL.md");
    assert.match(errors[0]!.message, /invalid frontmatter YAML/);
    assert.equal(warnings.length, 1);
  });

  it("a file that cannot be read is reported, not dropped in silence; the others still load", async () => {
    await put("good/SKILL.md", "fine");
    await put("huge/SKILL.md", Buffer.alloc(MAX_SKILL_BYTES + 1, "a"));
    await put("latin1/SKILL.md", Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    await mkdir(path.join(skillsDir(), "folder-as-file", "SKILL.md"), { recursive: true });
    const { skills, errors } = await loadSkills(client);
    assert.deepEqual(
      skills.map((skill) => skill.name),
      ["good"],
    );
    assert.deepEqual(
      errors.map((error) => error.path),
      ["/data/.skills/folder-as-file/SKILL.md", "/data/.skills/huge/SKILL.md", "/data/.skills/latin1/SKILL.md"],
    );
    assert.match(errors[1]!.message, /larger than 1048576 bytes/);
    assert.match(errors[2]!.message, /not valid UTF-8/);
  });

  it("passes over folders without a SKILL.md, hidden folders and stray files", async () => {
    await put("empty/readme.txt", "not a skill");
    await put(".git/SKILL.md", "hidden");
    await put("stray.md", "not a skill either");
    assert.deepEqual(await loadSkills(client), { skills: [], errors: [] });
  });

  it("a listing failure other than a missing folder is an error, not an empty list", async () => {
    await put("a/SKILL.md", "x");
    const failing = {
      listDir: async () => {
        throw new BadRequestError("listing broke");
      },
      readRawNoFollow: client.readRawNoFollow.bind(client),
    };
    await assert.rejects(loadSkills(failing), BadRequestError);
    const missing = {
      listDir: async () => {
        throw new NotFoundError("gone");
      },
      readRawNoFollow: client.readRawNoFollow.bind(client),
    };
    assert.deepEqual(await loadSkills(missing), { skills: [], errors: [] });
  });

  it("upsert writes <name>/SKILL.md with the raw text, creating the folders; a second upsert replaces it", async () => {
    const first = "---\nname: greeter\ndescription: Says hello\n---\nSay hello.";
    assert.deepEqual(await upsertSkills(client, [first, "No frontmatter here."]), ["greeter", "default"]);
    assert.equal(await readFile(path.join(skillsDir(), "greeter", "SKILL.md"), "utf8"), first);
    assert.equal(await readFile(path.join(skillsDir(), "default", "SKILL.md"), "utf8"), "No frontmatter here.");
    const second = "---\nname: greeter\ndescription: Says hi\n---\nSay hi.";
    await upsertSkills(client, [second]);
    const { skills } = await loadSkills(client);
    assert.deepEqual(
      skills.map((skill) => [skill.name, skill.description, skill.raw]),
      [
        ["default", "default", "No frontmatter here."],
        ["greeter", "Says hi", second],
      ],
    );
    // Atomic writes leave no temporary files behind.
    assert.deepEqual(await readdir(path.join(skillsDir(), "greeter")), ["SKILL.md"]);
  });

  it("upsert checks every skill before writing any", async () => {
    const good = "---\nname: good\n---\nok";
    for (const bad of [
      "---\nname: ../escape\n---\nx",
      "---\nname: a/b\n---\nx",
      "---\nname: .hidden\n---\nx",
      "---\nname: [broken\n---\nx",
    ]) {
      await assert.rejects(upsertSkills(client, [good, bad]), BadRequestError, bad);
    }
    await assert.rejects(upsertSkills(client, [good, good]), /given twice/);
    await assert.rejects(upsertSkills(client, []), /must not be empty/);
    await assert.rejects(upsertSkills(client, [good, "x".repeat(MAX_SKILL_BYTES + 1)]), SkillTooLargeError);
    await assert.rejects(readdir(skillsDir()), { code: "ENOENT" });
  });

  it("delete removes the folders; missing names succeed; 'default' also removes a bare SKILL.md", async () => {
    await put("one/SKILL.md", "1");
    await put("one/extra.txt", "x");
    await put("two/SKILL.md", "2");
    await put("SKILL.md", "bare");
    await deleteSkills(client, ["one", "never-was", "default"]);
    assert.deepEqual(await readdir(skillsDir()), ["two"]);
    await assert.rejects(deleteSkills(client, ["two", "../two"]), BadRequestError);
    await assert.rejects(deleteSkills(client, []), BadRequestError);
    assert.deepEqual(await readdir(skillsDir()), ["two"]);
  });
});
