// botbox's command line: parsing, help and dispatch from the one command
// table. Most cases call the parser and the table's handlers in this process
// (a `botbox` process costs 0.3 to 0.6 s of CPU, and these cases once started
// 58 of them); a few run the real command, main.ts from the source through
// tsx (the unit tier builds only the agent, and a dist/ of the server could
// be stale), to show that main() turns the parser's answers into the same
// output and exit codes.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";

import { parseCommandLine, UsageError } from "../../packages/server/src/cli/command-line.js";
import type { CommandContext, CommandSpec } from "../../packages/server/src/cli/command-spec.js";
import { COMMANDS } from "../../packages/server/src/cli/command-table.js";
import { renderCommandHelp, renderUsage } from "../../packages/server/src/cli/help.js";

const MAIN = fileURLToPath(new URL("../../packages/server/src/cli/main.ts", import.meta.url));
/** tsx's loader by its path: the command runs in /, where `--import tsx` finds nothing. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const run = promisify(execFile);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real `botbox` command, with no server, token or config file around it. */
async function botbox(...args: string[]): Promise<Outcome> {
  return run(process.execPath, ["--import", TSX, MAIN, ...args], {
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

/** The parser's refusal of a command line: its message (main prints it after "botbox: ", exit code 2). */
function refusal(...argv: string[]): string {
  let message = "";
  assert.throws(
    () => parseCommandLine(argv, COMMANDS),
    (error: unknown) => {
      assert.ok(error instanceof UsageError, `${argv.join(" ")}: ${String(error)}`);
      assert.equal(error.exitCode, 2);
      message = error.message;
      return true;
    },
  );
  return message;
}

const commandNamed = (name: string): CommandSpec => COMMANDS.find((command) => command.name === name)!;

describe("botbox's command line", () => {
  describe("as a real process", () => {
    it("refuses an unknown flag with exit code 2 and one line on stderr, naming it and the command's flags", async () => {
      const outcome = await botbox("bot", "list", "--bogus");
      assert.equal(outcome.code, 2);
      assert.equal(outcome.stdout, "");
      assert.match(
        outcome.stderr,
        /^botbox: bot: unknown flag --bogus; its flags are --network, .*--json.*\(botbox help bot\)\n$/,
      );
    });

    it("lists every command for --help (exit 0, stdout) and without a command (exit 2, stderr)", async () => {
      const [help, bare] = await Promise.all([botbox("--help"), botbox()]);
      assert.equal(help.code, 0);
      assert.equal(help.stdout, `${renderUsage(COMMANDS)}\n`);
      assert.equal(bare.code, 2);
      assert.equal(bare.stdout, "");
      assert.equal(bare.stderr, help.stdout);
    });

    it("prints a command's help from the table for <command> --help, exit 0", async () => {
      const outcome = await botbox("memory", "--help");
      assert.equal(outcome.code, 0);
      assert.equal(outcome.stdout, `${renderCommandHelp(commandNamed("memory"))}\n`);
    });

    it("dispatches a client command to its handler, whose usage error exits with 2", async () => {
      const bot = await botbox("bot", "--url", "http://127.0.0.1:9", "--token", "not-an-admin-token");
      assert.equal(bot.code, 2);
      assert.equal(bot.stdout, "");
      assert.match(bot.stderr, /^botbox: usage: botbox bot /);
    });
  });

  it("refuses an unknown flag, naming it and the command's flags", () => {
    assert.match(refusal("bot", "list", "--bogus"), /^bot: unknown flag --bogus; its flags are --network, .*--json/);
  });

  it("names the command a misplaced flag belongs to", () => {
    assert.match(refusal("bot", "list", "--limit", "3"), /unknown flag --limit \(a flag of memory\)/);
  });

  it("refuses an unknown flag before the command, and a short one inside a bot's command not after --", () => {
    assert.match(refusal("--wat", "bot", "list"), /unknown flag --wat/);
    assert.match(
      refusal("exec", "some-bot", "ls", "-la"),
      /exec: unknown flag -l.*a bot's own command goes after "--"/,
    );
    const parsed = parseCommandLine(["exec", "some-bot", "--", "ls", "-la"], COMMANDS);
    assert.equal(parsed.kind, "run");
    assert.deepEqual(parsed.kind === "run" && [parsed.args, parsed.afterSeparator], [["some-bot"], ["ls", "-la"]]);
  });

  it("refuses an unknown command, naming it and listing the commands, also as help's topic", () => {
    assert.match(
      refusal("frobnicate", "x"),
      /unknown command "frobnicate"; the commands are serve, doctor, config, bot/,
    );
    assert.match(refusal("help", "frobnicate"), /unknown command "frobnicate"/);
  });

  it("refuses a string flag without its value", () => {
    assert.match(refusal("snapshot", "create", "b", "--name"), /snapshot: .*--name.*argument missing/);
  });

  it("answers --help with the usage (exit 0), and no command with the usage as an error (exit 2)", () => {
    assert.deepEqual(parseCommandLine(["--help"], COMMANDS), { kind: "usage", exitCode: 0 });
    assert.deepEqual(parseCommandLine(["help"], COMMANDS), { kind: "usage", exitCode: 0 });
    assert.deepEqual(parseCommandLine([], COMMANDS), { kind: "usage", exitCode: 2 });
    const usage = renderUsage(COMMANDS);
    for (const command of COMMANDS) {
      assert.match(usage, new RegExp(`^  ${command.name} +${escape(command.summary)}$`, "m"), command.name);
    }
  });

  it("gives each command of the table its own help, for help <command> and <command> --help", () => {
    for (const command of COMMANDS) {
      for (const argv of [
        ["help", command.name],
        [command.name, "--help"],
      ]) {
        assert.deepEqual(parseCommandLine(argv, COMMANDS), { kind: "help", command }, argv.join(" "));
      }
      const help = renderCommandHelp(command);
      for (const line of command.usage) assert.ok(help.includes(`botbox ${line}`), line);
      for (const flag of Object.keys(command.flags)) {
        assert.ok(help.includes(`--${flag}`), `${command.name} --${flag}`);
      }
    }
  });

  it("dispatches every command of the table but serve to its own handler", async () => {
    // With nothing to act on, each handler answers with its own usage (or,
    // for the server's commands, fails to read the named config file): proof
    // that the table's entry reached the right code. serve's handler loads
    // the whole server (2 s of CPU here); every test that starts
    // `botbox serve` (test/support/botbox-server.ts) shows its dispatch.
    for (const command of COMMANDS.filter((command) => command.name !== "serve")) {
      const argv = [
        command.name,
        ...("config" in command.flags ? ["--config", "/nonexistent/botbox.toml"] : []),
        ...("url" in command.flags ? ["--url", "http://127.0.0.1:9", "--token", "not-an-admin-token"] : []),
      ];
      const parsed = parseCommandLine(argv, COMMANDS);
      assert.ok(parsed.kind === "run" && parsed.command === command, command.name);
      const context: CommandContext = {
        args: parsed.args,
        afterSeparator: parsed.afterSeparator,
        flags: parsed.flags,
        json: false,
        target: async () => ({ url: String(parsed.flags.url), token: String(parsed.flags.token) }),
      };
      await assert.rejects(
        command.run(context),
        // A command that needs no argument (events) goes to the server, here one that is not there.
        new RegExp(
          `usage: botbox ${command.name} |cannot read config file /nonexistent/botbox\\.toml| ${command.name}: cannot reach botbox at http://127\\.0\\.0\\.1:9`,
        ),
        command.name,
      );
    }
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
