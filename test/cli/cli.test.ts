import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { type BotboxServer, newHome, startBotboxServer } from "../support/botbox-server.js";

const BOTBOX = fileURLToPath(new URL("../../packages/server/dist/botbox.js", import.meta.url));
const run = promisify(execFile);

describe("the botbox command against a real server", () => {
  let server: BotboxServer;
  let legacyRoot: string;

  before(async () => {
    const home = await newHome();
    legacyRoot = path.join(home, "legacy");
    server = await startBotboxServer({ home, env: { BOTBOX_MCP_DATA_ROOT: legacyRoot } });
  });
  after(async () => {
    await server.api("DELETE", "/bots/cli-bot");
    await server.stop();
    await rm(server.home, { recursive: true, force: true });
  });

  const botbox = (...args: string[]) =>
    run(process.execPath, [BOTBOX, "--url", server.url, "--token", server.adminToken, ...args], {
      env: { ...process.env, BOTBOX_URL: "", BOTBOX_TOKEN: "" },
    });

  it("creates, lists and starts a bot, and runs commands with their exit code", async () => {
    assert.equal((await botbox("bot", "create", "CLI bot", "cli-bot")).stdout, "cli-bot\n");
    const listed = JSON.parse((await botbox("bot", "list", "--json")).stdout) as { id: string }[];
    assert.deepEqual(
      listed.map((bot) => bot.id),
      ["cli-bot"],
    );
    assert.equal((await botbox("bot", "start", "cli-bot")).stdout, "cli-bot: running\n");
    const echoed = await botbox("exec", "cli-bot", "--", "echo", "it's", "two words");
    assert.equal(echoed.stdout, "it's two words\n");
    const piped = await botbox("exec", "cli-bot", "--", "echo out; echo err >&2");
    assert.deepEqual([piped.stdout, piped.stderr], ["out\n", "err\n"]);
    await assert.rejects(botbox("exec", "cli-bot", "--", "exit 3"), (error: { code?: number }) => error.code === 3);
  });

  it("reports server errors on stderr with a non-zero exit", async () => {
    await assert.rejects(botbox("exec", "nobody-here", "--", "true"), (error: { code?: number; stderr?: string }) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr ?? "", /^botbox: exec: 404 /);
      return true;
    });
    await assert.rejects(
      run(process.execPath, [BOTBOX, "bot", "list", "--url", server.url, "--token", "bbx_wrong"]),
      (error: { stderr?: string }) => /401/.test(error.stderr ?? ""),
    );
  });

  it("doctor says what the sandbox can do here", async () => {
    const { stdout } = await run(process.execPath, [BOTBOX, "doctor", "--json"], {
      env: { ...process.env, BOTBOX_HOME: server.home },
    }).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
    const checks = JSON.parse(stdout) as { name: string; ok: boolean; detail: string }[];
    assert.ok(checks.length >= 3);
    const bwrap = checks.find((check) => /bwrap|bubblewrap/i.test(check.name));
    assert.ok(bwrap?.ok, JSON.stringify(checks));
  });

  it("migrates a bot's legacy bind-mount data once its agent answers (spec 3.5)", async () => {
    const source = path.join(legacyRoot, "bots", "legacy-bot");
    await mkdir(path.join(source, "notes", "empty"), { recursive: true });
    await writeFile(path.join(source, "notes", "a.md"), "from the old days\n");
    await writeFile(path.join(source, "blank.txt"), "");
    await server.api("POST", "/bots", { id: "legacy-bot", name: "legacy" });
    try {
      assert.equal((await server.api("POST", "/bots/legacy-bot/container")).status, 201);
      for (let i = 0; i < 100 && !existsSync(`${source}.migrated`); i++) await sleep(50);
      assert.ok(existsSync(`${source}.migrated`), "the source was not marked migrated");
      const listing = await server.api("POST", "/bots/legacy-bot/container/exec", {
        command: "cd /data && cat notes/a.md && test -d notes/empty && test -f blank.txt && echo ok",
      });
      assert.equal(listing.body.stdout, "from the old days\nok\n");
    } finally {
      await server.api("DELETE", "/bots/legacy-bot");
    }
  });
});
