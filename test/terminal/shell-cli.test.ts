// `botbox shell` run as a person would: in a terminal (a tmux pane on a
// private tmux server), typing, resizing the window, pressing Ctrl-C; and
// with a pipe for stdin. Against a real `botbox serve` and a real bot.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { addBots, removeServer } from "../support/bots.js";

const BOTBOX = fileURLToPath(new URL("../../packages/server/dist/botbox.js", import.meta.url));
const BOT = "term-cli";
const run = promisify(execFile);

describe("botbox shell", { timeout: 120_000 }, () => {
  let server: BotboxServer;
  let scratch: string;
  const tmuxSocket = `botbox-term-${process.pid}`;
  const tmux = (...args: string[]) => run("tmux", ["-L", tmuxSocket, ...args]);
  const pane = async () => (await tmux("capture-pane", "-p", "-t", "shell")).stdout;
  // Written by a shell's redirection: the file exists, empty, before the command has written to it.
  const exists = (file: string) =>
    readFile(file, "utf8").then(
      (text) => (text === "" ? undefined : text),
      () => undefined,
    );
  /** Polls the pane (or a file) until `check` holds; fails after `timeoutMs` showing the pane. */
  const waitFor = async <T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) assert.fail(`${what} within ${timeoutMs} ms; the pane shows:\n${await pane()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const paneShows = (pattern: RegExp) =>
    waitFor(async () => (pattern.test(await pane()) ? true : undefined), `${pattern}`);
  const botboxArgs = () => ["--url", server.url, "--token", server.adminToken];

  before(async () => {
    server = await startBotboxServer();
    await addBots(server, [BOT]);
    scratch = await mkdtemp(path.join(tmpdir(), "botbox-shell-"));
  });
  after(async () => {
    await tmux("kill-server").catch(() => undefined);
    await rm(scratch, { recursive: true, force: true });
    await removeServer(server, [BOT]);
  });

  it("runs in raw mode in a terminal, follows its size, passes Ctrl-C, restores it and exits with the status", async () => {
    const file = (name: string) => path.join(scratch, name);
    const quoted = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
    const script = [
      `stty -g > ${file("before")}`,
      `${[process.execPath, BOTBOX, ...botboxArgs(), "shell", BOT, "--", "sh"].map(quoted).join(" ")}`,
      `echo $? > ${file("code")}`,
      `stty -g > ${file("after")}`,
      "sleep 600",
    ].join("; ");
    await tmux(
      "-f",
      "/dev/null",
      "new-session",
      "-d",
      "-s",
      "shell",
      "-x",
      "100",
      "-y",
      "30",
      `sh -c ${quoted(script)}`,
    );
    const before = await waitFor(() => exists(file("before")), "the pane's stty settings");

    await tmux("send-keys", "-t", "shell", "echo ready-$((2*21))", "Enter");
    // Typed before sh prints its prompt, the echo lands after the prompt on its line.
    await paneShows(/(^|\$ |# )ready-42$/m);
    // Raw mode while the shell runs: the local line discipline is off, so the check below can fail.
    const ttyName = (await tmux("display-message", "-p", "-t", "shell", "#{pane_tty}")).stdout.trim();
    const during = (await run("stty", ["-g", "-F", ttyName])).stdout;
    assert.notEqual(during, before, "botbox shell puts the terminal in raw mode");

    await tmux("send-keys", "-t", "shell", "stty size", "Enter");
    await paneShows(/^30 100$/m);
    await tmux("resize-window", "-t", "shell", "-x", "120", "-y", "40");
    await tmux("send-keys", "-t", "shell", "clear; stty size", "Enter");
    await paneShows(/^40 120$/m);

    // Ctrl-C reaches the bot's shell (it ends the remote sleep), not botbox.
    await tmux("send-keys", "-t", "shell", "clear; sleep 30", "Enter");
    await tmux("send-keys", "-t", "shell", "C-c");
    await tmux("send-keys", "-t", "shell", "echo after-int-$((3+4))", "Enter");
    await waitFor(
      async () => (/^after-int-7$/m.test(await pane()) ? true : undefined),
      "the shell after Ctrl-C",
      10_000,
    );
    assert.equal(await exists(file("code")), undefined, "botbox shell is still running after Ctrl-C");

    await tmux("send-keys", "-t", "shell", "echo hi; exit 3", "Enter");
    const code = await waitFor(() => exists(file("code")), "botbox shell's exit");
    assert.equal(code.trim(), "3");
    assert.equal(
      await waitFor(() => exists(file("after")), "the stty settings after"),
      before,
      "the terminal is restored",
    );
  });

  it("streams a pipe without a terminal, ends input with Ctrl-D, and exits with the status", async () => {
    const child = spawn(process.execPath, [BOTBOX, ...botboxArgs(), "shell", BOT, "--", "sh"], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    child.stdout.on("data", (part: Buffer) => out.push(part));
    child.stdin.end("echo piped-$((2+3)); exit 6\n");
    // "close", not "exit": the output may still be in the pipe at exit.
    const [code] = (await once(child, "close")) as [number | null];
    assert.equal(code, 6);
    // The input can reach the terminal before sh's prompt does, so the
    // answer may follow the prompt on its line (as in terminal-ws.test.ts).
    assert.match(Buffer.concat(out).toString(), /(^|\$ |# )piped-5\r?$/m);

    // Input that ends without an exit: Ctrl-D ends the remote shell, status 0.
    const eof = spawn(process.execPath, [BOTBOX, ...botboxArgs(), "shell", BOT, "--", "sh"], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    eof.stdin.end("echo no-exit\n");
    const [eofCode] = (await once(eof, "exit")) as [number | null];
    assert.equal(eofCode, 0);
  });

  it("reports a refused terminal in one line and exits 1", async () => {
    const failed = await run(process.execPath, [BOTBOX, ...botboxArgs(), "shell", "no-such-bot"]).then(
      () => assert.fail("botbox shell of a missing bot succeeded"),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /404 bot no-such-bot not found/);
  });
});
