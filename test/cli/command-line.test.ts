import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { COMMANDS } from "../../packages/server/src/cli/command-table.js";
import { renderCommandHelp } from "../../packages/server/src/cli/help.js";

const BOTBOX = fileURLToPath(new URL("../../packages/server/dist/botbox.js", import.meta.url));
const run = promisify(execFile);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real `botbox` process, with no server, token or config file around it. */
async function botbox(...args: string[]): Promise<Outcome> {
  return run(process.execPath, [BOTBOX, ...args], {
    env: {
      ...process.env,
      BOTBOX_URL: "",
      BOTBOX_TOKEN: "",
      BOTBOX_ADMIN_TOKEN: "",
      BOTBOX_CLI_CONFIG: "/nonexistent",
    },
    cwd: "/",
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

describe("botbox's command line", () => {
  it("refuses an unknown flag with exit code 2, naming it and the command's flags", async () => {
    const outcome = await botbox("bot", "list", "--bogus");
    assert.equal(outcome.code, 2);
    assert.equal(outcome.stdout, "");
    assert.match(
      outcome.stderr,
      /^botbox: bot: unknown flag --bogus; its flags are --network, .*--json.*\(botbox help bot\)\n$/,
    );
  });

  it("names the command a misplaced flag belongs to", async () => {
    const outcome = await botbox("bot", "list", "--limit", "3");
    assert.equal(outcome.code, 2);
    assert.match(outcome.stderr, /unknown flag --limit \(a flag of memory\)/);
  });

  it("refuses an unknown flag before the command, and a short one inside a bot's command not after --", async () => {
    const before = await botbox("--wat", "bot", "list");
    assert.equal(before.code, 2);
    assert.match(before.stderr, /unknown flag --wat/);
    const exec = await botbox("exec", "some-bot", "ls", "-la");
    assert.equal(exec.code, 2);
    assert.match(exec.stderr, /exec: unknown flag -l.*a bot's own command goes after "--"/);
  });

  it("refuses an unknown command with exit code 2, naming it and listing the commands", async () => {
    const outcome = await botbox("frobnicate", "x");
    assert.equal(outcome.code, 2);
    assert.match(outcome.stderr, /unknown command "frobnicate"; the commands are serve, doctor, config, bot/);
    assert.equal((await botbox("help", "frobnicate")).code, 2);
  });

  it("refuses a string flag without its value", async () => {
    const outcome = await botbox("snapshot", "create", "b", "--name");
    assert.equal(outcome.code, 2);
    assert.match(outcome.stderr, /snapshot: .*--name.*argument missing/);
  });

  it("lists every command of the table for --help (exit 0) and without a command (exit 2, on stderr)", async () => {
    const help = await botbox("--help");
    assert.equal(help.code, 0);
    const bare = await botbox();
    assert.equal(bare.code, 2);
    assert.equal(bare.stdout, "");
    assert.equal(bare.stderr, help.stdout);
    for (const command of COMMANDS) {
      assert.match(help.stdout, new RegExp(`^  ${command.name} +${escape(command.summary)}$`, "m"), command.name);
    }
  });

  it("prints each command's own help from the table, for help <command> and <command> --help", async () => {
    // All at once: each is a separate process, and the machine may be busy.
    await Promise.all(
      COMMANDS.map(async (command) => {
        const expected = `${renderCommandHelp(command)}\n`;
        for (const outcome of await Promise.all([botbox("help", command.name), botbox(command.name, "--help")])) {
          assert.equal(outcome.code, 0, command.name);
          assert.equal(outcome.stdout, expected, command.name);
        }
        for (const line of command.usage) assert.ok(expected.includes(`botbox ${line}`), line);
        for (const flag of Object.keys(command.flags)) {
          assert.ok(expected.includes(`--${flag}`), `${command.name} --${flag}`);
        }
      }),
    );
  });

  it("dispatches every command of the table to its own handler", async () => {
    // With nothing to act on, each handler answers with its own usage (or,
    // for the server's commands, fails to read the named config file): proof
    // that the table's entry reached the right code.
    await Promise.all(
      COMMANDS.map(async (command) => {
        const args = [
          ...("config" in command.flags ? ["--config", "/nonexistent/botbox.toml"] : []),
          ...("url" in command.flags ? ["--url", "http://127.0.0.1:9", "--token", "not-an-admin-token"] : []),
        ];
        const outcome = await botbox(command.name, ...args);
        assert.notEqual(outcome.code, 0, command.name);
        assert.match(
          outcome.stderr,
          new RegExp(`usage: botbox ${command.name} |cannot read config file /nonexistent/botbox\\.toml`),
          command.name,
        );
      }),
    );
  });

  it("gives a flag name one type across commands, so one pass can find the command's name", () => {
    const seen = new Map<string, string>();
    for (const command of COMMANDS) {
      for (const [name, flag] of Object.entries(command.flags)) {
        const shape = `${flag.type}${flag.multiple ? "[]" : ""}${flag.short ?? ""}`;
        assert.equal(seen.get(name) ?? shape, shape, `--${name} of ${command.name}`);
        seen.set(name, shape);
      }
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
