// /bots/:bot_id/container/skills end to end through `botbox serve` with a
// real sandbox, SKILL.md read raw (the original's loader got line-numbered
// text cut at 5 KiB).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { addBots, botToken, declaredBodyStatus, removeServer, shellIn } from "../support/bots.js";

const BOT = "skills-http";
const OTHER = "skills-http-other";
const SKILLS = `/bots/${BOT}/container/skills`;

describe("skills over HTTP with a real sandbox", () => {
  let server: BotboxServer;
  let otherToken: string;
  const sh = (command: string) => shellIn(server, BOT)(command);
  const tree = () => sh("cd /data/.skills 2>/dev/null && find . | sort && cat */SKILL.md SKILL.md 2>/dev/null || true");
  const names = async () => ((await server.api("GET", SKILLS)).body.skills as { name: string }[]).map((s) => s.name);

  before(async () => {
    server = await startBotboxServer();
    await addBots(server, [BOT, { id: OTHER, start: false }]);
    otherToken = await botToken(server, OTHER);
  });
  after(() => removeServer(server, [BOT, OTHER]));

  it("GET with no /data/.skills: no skills, no errors", async () => {
    assert.deepEqual(await server.api("GET", SKILLS), { status: 200, body: { skills: [], errors: [] } });
  });

  it("POST writes each skill under its frontmatter name; GET returns it parsed, with the real raw text", async () => {
    const raw =
      "---\nname: deploy\ndescription: Ship the service\nmetadata:\n  owner: ops\n---\n\n# Deploy\nRun `make ship`.\n";
    const posted = await server.api("POST", SKILLS, { skills: [raw] });
    assert.deepEqual(posted, { status: 200, body: { ok: true, names: ["deploy"] } });
    assert.equal(await sh("cat /data/.skills/deploy/SKILL.md"), raw);
    const { status, body } = await server.api("GET", SKILLS);
    assert.equal(status, 200);
    assert.deepEqual(body, {
      skills: [
        {
          name: "deploy",
          description: "Ship the service",
          content: "# Deploy\nRun `make ship`.",
          metadata: { owner: "ops" },
          raw,
        },
      ],
      errors: [],
    });
  });

  it("a skill without frontmatter takes its folder's name; a bare SKILL.md is 'default'; bad YAML is reported", async () => {
    await sh(
      "mkdir -p /data/.skills/notes /data/.skills/broken && printf 'Remember the milk.' > /data/.skills/notes/SKILL.md" +
        " && printf 'The default.' > /data/.skills/SKILL.md" +
        " && printf -- '---\\nname: [oops\\n---\\nBody of broken.' > /data/.skills/broken/SKILL.md",
    );
    const { body } = await server.api("GET", SKILLS);
    assert.deepEqual(
      body.skills.map((skill: { name: string; content: string }) => [skill.name, skill.content]),
      [
        ["default", "The default."],
        ["broken", "Body of broken."],
        ["deploy", "# Deploy\nRun `make ship`."],
        ["notes", "Remember the milk."],
      ],
    );
    assert.equal(body.errors.length, 1);
    assert.equal(body.errors[0].path, "/data/.skills/broken/SKILL.md");
    assert.match(body.errors[0].message, /invalid frontmatter YAML/);
  });

  it("POST again replaces a skill", async () => {
    const raw = "---\nname: deploy\ndescription: Ship it faster\n---\nRun `make fast`.";
    assert.equal((await server.api("POST", SKILLS, { skills: [raw] })).status, 200);
    const deploy = (await server.api("GET", SKILLS)).body.skills.find((s: { name: string }) => s.name === "deploy");
    assert.deepEqual([deploy.description, deploy.raw], ["Ship it faster", raw]);
  });

  it("DELETE removes skills by name; unknown names are fine", async () => {
    const deleted = await server.api("DELETE", SKILLS, { names: ["broken", "default", "never-was"] });
    assert.deepEqual(deleted, { status: 200, body: { ok: true } });
    assert.deepEqual(await names(), ["deploy", "notes"]);
    assert.equal(await sh("ls -A /data/.skills"), "deploy\nnotes\n");
  });

  it("bad requests are 400 with a clear error, and change nothing", async () => {
    const before = await tree();
    const cases: [string, unknown, RegExp][] = [
      ["POST", {}, /body\.skills/],
      ["POST", { skills: [] }, /must not be empty/],
      ["POST", { skills: [42] }, /body\.skills\.0/],
      ["POST", { skills: ["---\nname: ../../etc\n---\nx"] }, /invalid skill name/],
      ["POST", { skills: ["---\nname: a/b\n---\nx"] }, /invalid skill name/],
      ["POST", { skills: ["---\nname: .hidden\n---\nx"] }, /invalid skill name/],
      ["POST", { skills: ["---\nname: ok\n---\nx", "---\nname: [bad\n---\n"] }, /skill 1: invalid frontmatter YAML/],
      ["POST", { skills: ["---\nname: twice\n---\n", "---\nname: twice\n---\n"] }, /given twice/],
      ["POST", { skills: ["x"], extra: true }, /body/],
      ["DELETE", {}, /body\.names/],
      ["DELETE", { names: [] }, /must not be empty/],
      ["DELETE", { names: ["deploy", "../../etc"] }, /invalid skill name/],
      ["DELETE", { names: ["a\\b"] }, /invalid skill name/],
    ];
    for (const [method, request, message] of cases) {
      const { status, body } = await server.api(method, SKILLS, request);
      assert.equal(status, 400, `${method} ${JSON.stringify(request)}: ${JSON.stringify(body)}`);
      assert.equal(body.error.code, "bad_request");
      assert.match(body.error.message, message);
    }
    assert.equal((await server.api("POST", SKILLS, "{not json")).status, 400);
    assert.equal(await tree(), before);
  });

  it("a skill over 1 MiB, or a body over the server's limit, is 413 and changes nothing", async () => {
    const before = await tree();
    const big = `---\nname: big\n---\n${"x".repeat(2 ** 20)}`;
    const tooBig = await server.api("POST", SKILLS, { skills: [big] });
    assert.equal(tooBig.status, 413, JSON.stringify(tooBig.body));
    assert.match(tooBig.body.error.message, /larger than 1048576 bytes/);
    // A body declared over the server's 8 MiB limit is refused from its headers alone.
    const declared = await declaredBodyStatus(`${server.url}${SKILLS}`, {
      token: server.adminToken,
      length: 9 * 2 ** 20,
    });
    assert.equal(declared.status, 413);
    assert.equal(await tree(), before);
  });

  it("another bot's token gets 404 for every route, and changes nothing", async () => {
    const before = await tree();
    assert.equal((await server.api("GET", SKILLS, undefined, otherToken)).status, 404);
    const post = await server.api("POST", SKILLS, { skills: ["---\nname: evil\n---\nx"] }, otherToken);
    assert.equal(post.status, 404);
    assert.equal((await server.api("DELETE", SKILLS, { names: ["deploy"] }, otherToken)).status, 404);
    assert.equal((await server.api("GET", SKILLS, undefined, "not-a-token")).status, 401);
    assert.equal(await tree(), before);
    // Its own (empty, stopped) bot is unreachable: 503, not the original's 500.
    const own = await server.api("GET", `/bots/${OTHER}/container/skills`, undefined, otherToken);
    assert.equal(own.status, 503, JSON.stringify(own.body));
  });

  it("a stopped workspace is 503 for every route", async () => {
    assert.equal((await server.api("POST", `/bots/${BOT}/container/stop`, { timeout: 5 })).status, 200);
    try {
      assert.equal((await server.api("GET", SKILLS)).status, 503);
      assert.equal((await server.api("POST", SKILLS, { skills: ["x"] })).status, 503);
      assert.equal((await server.api("DELETE", SKILLS, { names: ["x"] })).status, 503);
      // Validation still comes first.
      assert.equal((await server.api("POST", SKILLS, { skills: [] })).status, 400);
    } finally {
      assert.equal((await server.api("POST", `/bots/${BOT}/container/start`)).status, 200);
    }
    assert.deepEqual(await names(), ["deploy", "notes"]);
  });
});
