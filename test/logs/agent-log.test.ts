// The bots' agent logs through a real `botbox serve` on the backend
// BOTBOX_TEST_RUNTIME picks (sandbox by default): every call the agent
// answers is a line of GET /bots/:bot_id/logs and `botbox logs --agent`;
// rotation bounds the files however many calls are made; only the admin and
// the bot's own token read them; and a bot that swaps its log for a symlink
// to a host file gets a refusal, not the file.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { Botbox } from "../../packages/sdk/src/index.js";
import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { addBots, botToken, execIn, removeServer } from "../support/bots.js";
import { followJsonLines } from "../support/json-lines.js";
import { stopChild } from "../support/stop-child.js";

const BOTBOX = fileURLToPath(new URL("../../packages/server/dist/botbox.js", import.meta.url));
const run = promisify(execFile);
const BOTS = ["log-a", "log-b"];
/** The smallest rotation the settings allow, so a few hundred calls rotate several times. */
const FILES = 3;
const FILE_BYTES = 4096;

interface AgentLine {
  msg: string;
  method?: string;
  code?: string;
  durationMs?: number;
}

describe("agent logs: kept with rotation, read through the API and the CLI", { timeout: 300_000 }, () => {
  let server: BotboxServer | undefined;

  before(async () => {
    server = await startBotboxServer({
      env: { BOTBOX_LOG_AGENT_FILES: String(FILES), BOTBOX_LOG_AGENT_FILE_KIB: String(FILE_BYTES / 1024) },
    });
    await addBots(server, BOTS);
  });
  after(() => removeServer(server, BOTS));

  const logs = async (botId: string, query = "", token?: string) =>
    server!.api("GET", `/bots/${botId}/logs?source=agent${query}`, undefined, token);

  it("has one line per call: the exec just made is the newest", async () => {
    const ran = await execIn(server!, "log-a", "echo logged");
    assert.equal(ran.stdout, "logged\n");
    const answer = await logs("log-a", "&tail=20");
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.bot_id, "log-a");
    const lines = (answer.body.lines as string[]).map((line) => JSON.parse(line) as AgentLine);
    assert.ok(lines.length >= 1 && lines.length <= 20, `${lines.length} lines`);
    const calls = lines.filter((line) => line.msg === "call");
    const exec = calls.findLast((line) => line.method === "Exec");
    assert.ok(exec, `an Exec call among ${JSON.stringify(lines)}`);
    assert.equal(exec.code, "OK");
    assert.equal(typeof exec.durationMs, "number");
  });

  it("rotates by size: many calls leave at most the configured files, each about the configured size", async () => {
    // Stat calls through the file route (GET …/container/fs): a cheap call each, ~150 bytes of log.
    for (let round = 0; round < 40; round++)
      await Promise.all(
        Array.from({ length: 5 }, () =>
          server!.api("GET", "/bots/log-a/container/fs?path=/data").then(() => undefined),
        ),
      );
    const sizes = await execIn(
      server!,
      "log-a",
      'cd /run/botbox && for f in agent.log*; do echo "$f $(wc -c < $f)"; done',
    );
    const files = sizes.stdout
      .trim()
      .split("\n")
      .map((line) => line.split(" "))
      .map(([name, bytes]) => ({ name: name!, bytes: Number(bytes) }));
    assert.ok(files.length >= 2 && files.length <= FILES, `files: ${sizes.stdout}`);
    assert.deepEqual(
      files.map((file) => file.name).sort(),
      ["agent.log", "agent.log.1", "agent.log.2"].slice(0, files.length),
    );
    // One line may end past the bound: the file is rotated before the line that would cross it.
    for (const file of files) assert.ok(file.bytes <= FILE_BYTES, `${file.name}: ${file.bytes} bytes`);
    // The answer reads across the files, newest last.
    const answer = await logs("log-a", "&tail=10000");
    assert.equal(answer.status, 200);
    const lines = answer.body.lines as string[];
    const kept = files.reduce((sum, file) => sum + file.bytes, 0);
    assert.ok(lines.join("\n").length > FILE_BYTES, `${lines.length} lines read from ${kept} bytes`);
    const times = lines.map((line) => (JSON.parse(line) as { time: number }).time);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
      "oldest first",
    );
  });

  it("is read by the admin and the bot's own token; another bot's token is refused", async () => {
    const own = await logs("log-a", "&tail=1", await botToken(server!, "log-a"));
    assert.equal(own.status, 200);
    const other = await logs("log-a", "&tail=1", await botToken(server!, "log-b"));
    assert.ok([403, 404].includes(other.status), `another bot's token: ${other.status}`);
    assert.equal(other.body.lines, undefined);
    const bad = await logs("log-a", "&tail=0");
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /tail/);
    const source = await server!.api("GET", "/bots/log-a/logs?source=kernel");
    assert.equal(source.status, 400);
    assert.match(JSON.stringify(source.body), /source/);
    assert.equal((await logs("no-such-bot")).status, 404);
  });

  it("botbox logs <bot> --agent prints the newest calls, short or as JSON", async () => {
    const botbox = (...args: string[]) =>
      run(process.execPath, [BOTBOX, "--url", server!.url, "--token", server!.adminToken, ...args], {
        env: { ...process.env, BOTBOX_URL: "", BOTBOX_TOKEN: "" },
      });
    await execIn(server!, "log-b", "true");
    const short = await botbox("logs", "log-b", "--agent", "--tail", "5");
    const lines = short.stdout.trim().split("\n");
    assert.ok(lines.length >= 1 && lines.length <= 5, short.stdout);
    assert.ok(
      lines.some((line) => /^\d\d:\d\d:\d\d\.\d{3} INFO {2}call Exec .*ms OK$/.test(line)),
      short.stdout,
    );
    const json = await botbox("logs", "log-b", "--agent", "--tail", "2", "--json");
    const parsed = json.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as AgentLine);
    assert.equal(parsed.length, 2);
    await assert.rejects(botbox("logs", "log-b", "--agent", "--tail", "x"), /--tail must be a whole number/);
  });

  it("follows: the newest line, then each call as it is made, through the SDK and botbox logs --agent -f", async () => {
    const bot = new Botbox({ url: server!.url, token: server!.adminToken }).bots.handle("log-b");
    const abort = new AbortController();
    const lines = bot.followAgentLogs({ tail: 1, signal: abort.signal });
    const head = JSON.parse((await lines.next()).value as string) as AgentLine;
    assert.equal(typeof head.msg, "string", "the newest line comes first");
    await execIn(server!, "log-b", "echo followed-by-sdk");
    let exec: AgentLine | undefined;
    for await (const line of lines) {
      const entry = JSON.parse(line) as AgentLine;
      if (entry.msg === "call" && entry.method === "Exec") {
        exec = entry;
        break;
      }
    }
    abort.abort();
    assert.equal(exec?.code, "OK");

    const cli = spawn(
      process.execPath,
      [
        BOTBOX,
        "--url",
        server!.url,
        "--token",
        server!.adminToken,
        "logs",
        "log-b",
        "--agent",
        "-f",
        "--tail",
        "1",
        "--json",
      ],
      { env: { ...process.env, BOTBOX_URL: "", BOTBOX_TOKEN: "" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      let seen = 0;
      const printed = followJsonLines(cli.stdout, () => seen++);
      const deadline = Date.now() + 20_000;
      while (seen < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(printed.length, 1, "the newest line first");
      await execIn(server!, "log-b", "echo followed-by-cli");
      while (!printed.slice(1).some((entry) => entry.method === "Exec") && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(
        printed.slice(1).some((entry) => entry.msg === "call" && entry.method === "Exec"),
        JSON.stringify(printed),
      );
      assert.equal(cli.exitCode, null, "still following");
    } finally {
      await stopChild(cli);
    }
  });

  it("refuses a log the bot replaced with a symlink to a host file, instead of reading the host's file", async () => {
    // Root in the bot replaces its log; the host would follow the link to its own /etc/passwd.
    const swapped = await execIn(
      server!,
      "log-b",
      "rm -f /run/botbox/agent.log && ln -s /etc/passwd /run/botbox/agent.log && echo swapped",
    );
    assert.equal(swapped.stdout, "swapped\n", swapped.stderr);
    const answer = await logs("log-b", "&tail=100");
    assert.equal(answer.status, 409, JSON.stringify(answer.body));
    assert.match(answer.body.error.message, /symbolic link: not read/);
    assert.doesNotMatch(JSON.stringify(answer.body), /root:/);
  });
});

describe("a followed agent log when its server stops", { timeout: 120_000 }, () => {
  let server: BotboxServer | undefined;
  after(async () => {
    // The bot outlives the stopped server: a new one on the same home removes it.
    if (server) await removeServer(await startBotboxServer({ home: server.home }), ["log-stop"]);
  });

  it("streams SSE events; a stopping server ends the follow with an error event and does not wait on it", async () => {
    server = await startBotboxServer();
    await addBots(server, ["log-stop"]);
    const response = await fetch(`${server.url}/bots/log-stop/logs/follow?tail=1`, {
      headers: { authorization: `Bearer ${server.adminToken}`, accept: "text/event-stream" },
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
    const events: { event: string; data: Record<string, unknown> }[] = [];
    let firstSeen = () => {};
    const seen = new Promise<void>((resolve) => (firstSeen = resolve));
    const reading = (async () => {
      let text = "";
      for await (const chunk of response.body!) {
        text += Buffer.from(chunk).toString("utf8");
        let end: number;
        while ((end = text.indexOf("\n\n")) >= 0) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
          firstSeen();
        }
      }
    })();
    await seen;
    assert.equal(events[0]?.event, "line", JSON.stringify(events));
    const stopping = Date.now();
    await server.stop();
    // Not held open by the follow's connection until its keep-alive ends (72 s).
    const stopMs = Date.now() - stopping;
    assert.ok(stopMs < 30_000, `the server took ${stopMs} ms to stop`);
    await reading;
    const last = events.at(-1);
    assert.equal(last?.event, "error", JSON.stringify(events));
    assert.deepEqual(last?.data, { type: "error", code: "unavailable", message: "the server is stopping" });
  });
});
