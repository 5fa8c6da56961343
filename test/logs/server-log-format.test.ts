// The server's own log (logs/server-logger.ts): short pretty lines when its
// stdout is a terminal, JSON lines when it is not, and `[log] format`
// (BOTBOX_LOG_FORMAT) overriding the guess either way. The terminal is a
// real pseudo-terminal from util-linux `script`; each server is stopped once
// its ready line is seen.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

import { newHome, runtimeEnv } from "../support/botbox-server.js";

const MAIN = fileURLToPath(new URL("../../packages/server/dist/botbox.js", import.meta.url));
// eslint-disable-next-line no-control-regex -- the terminal's colour escapes
const COLOURS = /\u001b\[[0-9;]*m/g;
const PRETTY_READY = /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: botbox ready \{"url":/m;
const JSON_READY = /^\{"level":30,.*"msg":"botbox ready"\}\r?$/m;

/** Output until `ready` matches (or 45 s pass), then the server is stopped. */
async function serveUntilReady(options: { tty: boolean; format?: string }, ready: RegExp): Promise<string> {
  const home = await newHome();
  const env = {
    ...process.env,
    ...runtimeEnv(),
    BOTBOX_HOME: home,
    BOTBOX_PORT: "0",
    DATABASE_URL: "",
    BOTBOX_LOG_FORMAT: options.format ?? "",
  };
  const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(MAIN)} serve`;
  // script(1) runs the command on a new pty and copies what it writes to our pipe.
  const child: ChildProcess = options.tty
    ? spawn("script", ["-qfec", command, "/dev/null"], { env, stdio: ["pipe", "pipe", "inherit"] })
    : spawn(process.execPath, [MAIN, "serve"], { env, stdio: ["ignore", "pipe", "inherit"] });
  let text = "";
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line within 45 s:\n${text}`)), 45_000);
      child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
        text += chunk;
        if (ready.test(text.replace(COLOURS, ""))) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`botbox exited with ${code} before its ready line:\n${text}`));
      });
    });
  } finally {
    child.removeAllListeners("exit");
    const exited = new Promise((resolve) => child.once("exit", resolve));
    // Through the pty, SIGTERM to script ends its session, and botbox with it; directly, botbox stops itself.
    child.kill("SIGTERM");
    await exited;
    await rm(home, { recursive: true, force: true });
  }
  return text.replace(COLOURS, "");
}

describe("the server's log: pretty on a terminal, JSON otherwise", { timeout: 200_000 }, () => {
  it("is short coloured lines on a terminal, without pid, hostname or service", async () => {
    const text = await serveUntilReady({ tty: true }, PRETTY_READY);
    assert.match(text, /INFO: botbox serving/);
    assert.doesNotMatch(text, /"level":/, "no JSON line");
    assert.doesNotMatch(text, /pid|hostname|"service"/);
  });

  it("is JSON on a terminal when [log] format is json", async () => {
    const text = await serveUntilReady({ tty: true, format: "json" }, JSON_READY);
    assert.doesNotMatch(text, /INFO: /);
  });

  it("is JSON lines through a pipe, and pretty there when [log] format is pretty", async () => {
    const json = await serveUntilReady({ tty: false }, JSON_READY);
    for (const line of json.trim().split("\n")) assert.doesNotThrow(() => JSON.parse(line), line);
    const pretty = await serveUntilReady({ tty: false, format: "pretty" }, PRETTY_READY);
    assert.doesNotMatch(pretty, /"level":/);
    // No terminal, no colour escapes: the text matched before any were stripped.
    assert.ok(PRETTY_READY.test(pretty));
  });
});
