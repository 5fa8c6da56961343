// What a bot, or its token, can make the server hold (issue 13 §7), through
// `botbox serve` with a real sandbox: exec output, the skills listing and
// stored MCP server configurations each stop at a bound, with an answer that
// says so. Without the bounds each answer below would carry everything (tens
// of MB), so each test can fail. Bounded: about 40 MB of output at most.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { addBots, botToken, removeServer, shellIn } from "../support/bots.js";

const BOT = "bounds";
const KEEP = 2 ** 20;

describe("bounds on what a bot can make the server hold", () => {
  let server: BotboxServer;
  let token: string;
  const sh = (command: string) => shellIn(server, BOT)(command);

  before(async () => {
    server = await startBotboxServer();
    await addBots(server, [BOT]);
    token = await botToken(server, BOT);
  });
  after(() => removeServer(server, [BOT]));

  it("POST …/exec keeps the first and last 512 KiB of each stream and says how much it cut", async () => {
    // 6.9 MB of numbered lines on stdout, 3 MB on stderr.
    const command = "seq 1 1000000; head -c 3000000 /dev/zero | tr '\\0' e >&2; exit 3";
    const { status, body } = await server.api("POST", `/bots/${BOT}/container/exec`, { command }, token);
    assert.equal(status, 200);
    let stdoutBytes = 0;
    for (let n = 1; n <= 1_000_000; n++) stdoutBytes += String(n).length + 1;
    assert.equal(body.exit_code, 3);
    assert.equal(body.truncated, true);
    assert.equal(body.stdout_dropped_bytes, stdoutBytes - KEEP);
    assert.equal(body.stderr_dropped_bytes, 3_000_000 - KEEP);
    const stdout = body.stdout as string;
    assert.ok(stdout.length < KEEP + 1024, `stdout is ${stdout.length} characters`);
    assert.ok(stdout.startsWith("1\n2\n3\n"));
    assert.ok(stdout.endsWith("999999\n1000000\n"));
    assert.match(
      stdout,
      new RegExp(`\\[botbox: ${stdoutBytes - KEEP} bytes of stdout cut here;.*exec/stream gives all of it\\]`),
    );
    assert.ok((body.stderr as string).length < KEEP + 1024);
    // Output under the bound is answered whole, in the original's shape.
    const small = await server.api("POST", `/bots/${BOT}/container/exec`, {
      command: "head -c 1048576 /dev/zero | tr '\\0' s",
    });
    assert.deepEqual(Object.keys(small.body).sort(), ["exit_code", "stderr", "stdout"]);
    assert.equal(small.body.stdout, "s".repeat(KEEP));
  });

  it("GET …/skills reads SKILL.md files up to a 4 MiB budget and names the rest as not read", async () => {
    // 12 skills of 1,000,000 bytes each, hard links of one file: 12 MB to answer (twice over: content and raw).
    await sh(
      "mkdir -p /data/.skills && head -c 1000000 /dev/zero | tr '\\0' k > /data/big-skill" +
        " && for i in $(seq -w 1 12); do mkdir -p /data/.skills/s$i && ln /data/big-skill /data/.skills/s$i/SKILL.md; done",
    );
    const response = await fetch(`${server.url}/bots/${BOT}/container/skills`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.ok(text.length < 10_000_000, `the answer is ${text.length} bytes`);
    const body = JSON.parse(text) as {
      skills: { name: string }[];
      errors: { path: string; message: string }[];
      truncated?: boolean;
    };
    assert.equal(body.truncated, true);
    assert.deepEqual(
      body.skills.map((skill) => skill.name),
      ["s01", "s02", "s03", "s04"],
    );
    assert.equal(body.errors.length, 8);
    assert.equal(body.errors[0]!.path, "/data/.skills/s05/SKILL.md");
    assert.match(body.errors[0]!.message, /not read: the listing's budget of 4194304 bytes/);
    await sh("rm -rf /data/.skills /data/big-skill");
  });

  it("PUT …/mcp-servers/:name refuses a configuration over 64 KiB (400) and a 65th server (409)", async () => {
    const put = (name: string, config: object) => server.api("PUT", `/bots/${BOT}/mcp-servers/${name}`, config, token);
    const tooBig = await put("big", { command: "node", args: ["a".repeat(40_000)], env: { X: "b".repeat(40_000) } });
    assert.equal(tooBig.status, 400);
    assert.match(tooBig.body.error.message, /command, args, env and cwd together must be at most 65536 bytes/);
    for (let index = 0; index < 64; index++) {
      assert.equal((await put(`s${index}`, { command: "true", enabled: false })).status, 200);
    }
    const oneMore = await put("s64", { command: "true" });
    assert.equal(oneMore.status, 409);
    assert.match(oneMore.body.error.message, /already has 64 MCP servers, the most a bot may have/);
    assert.equal((await server.api("GET", `/bots/${BOT}/mcp-servers`, undefined, token)).body.servers.length, 64);
  });
});
