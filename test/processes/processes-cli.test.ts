// `botbox run|ps|logs|kill` run as a person would, against a real server and bot.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { addBots, removeServer } from "../support/bots.js";
import { numberedLines } from "./support.js";

const BOTBOX = fileURLToPath(new URL("../../packages/server/dist/botbox.js", import.meta.url));
const BOT = "proc-cli";
const run = promisify(execFile);

describe("botbox run, ps, logs and kill", { timeout: 120_000 }, () => {
  let server: BotboxServer;

  before(async () => {
    server = await startBotboxServer();
    await addBots(server, [BOT]);
  });
  after(() => removeServer(server, [BOT]));

  const botbox = (...args: string[]) =>
    run(process.execPath, [BOTBOX, "--url", server.url, "--token", server.adminToken, ...args], {
      env: { ...process.env, BOTBOX_URL: "", BOTBOX_TOKEN: "" },
      encoding: "buffer",
    });
  /** The exit code of a command that fails, and its output. */
  const failing = async (...args: string[]) => {
    try {
      await botbox(...args);
    } catch (error) {
      const { code, stdout, stderr } = error as { code: number; stdout: Buffer; stderr: Buffer };
      return { code, stdout, stderr: stderr.toString() };
    }
    assert.fail(`botbox ${args.join(" ")} succeeded`);
  };

  it("runs in the background, lists it, and copies its output byte for byte with its status", async () => {
    const script = String.raw`for i in $(seq 1 50); do echo line $i; sleep 0.02; done; printf '\000\377'; exit 4`;
    const started = await botbox("run", BOT, "--background", "--tag", "cli-count", "--", script);
    const id = started.stdout.toString().trim();
    assert.match(id, /^[0-9a-f]{12}$/);

    const expected = Buffer.concat([Buffer.from(numberedLines(50)), Buffer.from([0, 0xff])]);
    const followed = await failing("logs", BOT, "cli-count", "-f");
    assert.equal(followed.code, 4, "logs -f exits with the process's status");
    assert.deepEqual(followed.stdout, expected);

    const from = numberedLines(50).indexOf("line 41\n");
    const tail = await botbox("logs", BOT, id, "--since", String(from));
    assert.deepEqual(tail.stdout, expected.subarray(from));

    const listed = (await botbox("ps", BOT)).stdout.toString().split("\n");
    assert.match(listed[0]!, /^ID\s+TAG\s+STATUS\s+EXIT\s+STARTED\s+COMMAND$/);
    const row = listed.find((line) => line.startsWith(id));
    assert.ok(row, listed.join("\n"));
    assert.match(row, new RegExp(`^${id}\\s+cli-count\\s+exited\\s+4\\s`));
  });

  it("kills a process by tag, and runs one in the foreground with its exit code", async () => {
    const id = (await botbox("run", BOT, "--background", "--tag", "cli-sleep", "--", "sleep", "300")).stdout
      .toString()
      .trim();
    assert.equal(
      (await botbox("kill", BOT, "cli-sleep", "--signal", "KILL")).stdout.toString(),
      `sent KILL to ${id}\n`,
    );
    const ended = await failing("logs", BOT, id, "-f");
    assert.equal(ended.code, 137);

    const foreground = await failing("run", BOT, "--", "echo hi; echo oops >&2; exit 2");
    assert.equal(foreground.code, 2);
    assert.equal(foreground.stdout.toString(), "hi\n");
    assert.equal(foreground.stderr, "oops\n");
  });

  it("says what was wrong", async () => {
    const unknown = await failing("logs", BOT, "no-such-tag");
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /404/);
    const badSince = await failing("logs", BOT, "no-such-tag", "--since=-3");
    assert.match(badSince.stderr, /--since must be a byte offset/);
    const badSignal = await failing("kill", BOT, "no-such-tag", "--signal", "NOPE;");
    assert.match(badSignal.stderr, /body\.signal/);
  });
});
