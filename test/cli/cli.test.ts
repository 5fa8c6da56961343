import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import {
  type BotboxServer,
  newHome,
  processRunning,
  runtimeEnv,
  sandboxProcessesLeft,
  startBotboxServer,
  TEST_RUNTIME,
} from "../support/botbox-server.js";
import { withScratchFolder } from "../support/scratch.js";

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

  it("bot rm deletes the named bots: gone from the list, their sandboxes ended, the others untouched", async () => {
    const doomed = ["cli-doomed", "cli-doomed-idle"];
    try {
      await botbox("bot", "create", "CLI doomed", doomed[0]!);
      await botbox("bot", "create", "CLI doomed, never started", doomed[1]!);
      assert.equal((await botbox("bot", "start", doomed[0]!)).stdout, `${doomed[0]}: running\n`);
      const { pid } = (await server.api("GET", `/bots/${doomed[0]}/container`)).body as { pid: number };
      assert.ok(await processRunning(pid));

      assert.deepEqual(Object.values(await botbox("bot", "rm", ...doomed)), ["", ""]);
      const listed = JSON.parse((await botbox("bot", "list", "--json")).stdout) as { id: string }[];
      assert.deepEqual(
        listed.map((bot) => bot.id),
        ["cli-bot"],
      );
      for (const id of doomed) assert.equal((await server.api("GET", `/bots/${id}`)).status, 404, id);
      assert.equal((await server.api("GET", `/bots/${doomed[0]}/container`)).status, 404);
      assert.equal(await processRunning(pid), false, "the bot's task outlived bot rm");
      assert.deepEqual(await sandboxProcessesLeft(server.home, doomed[0]!), []);
      assert.equal((await server.api("GET", "/bots/cli-bot/container")).body.task_running, true);
      await assert.rejects(botbox("bot", "rm", doomed[0]!), (error: { code?: number; stderr?: string }) => {
        assert.equal(error.code, 1);
        assert.match(error.stderr ?? "", /404.*cli-doomed/);
        return true;
      });
    } finally {
      for (const id of doomed) await server.api("DELETE", `/bots/${id}`);
    }
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

  it("doctor says what the runtime can do here", async () => {
    const { stdout } = await run(process.execPath, [BOTBOX, "doctor", "--json"], {
      env: { ...process.env, BOTBOX_HOME: server.home, ...runtimeEnv() },
    }).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
    const checks = JSON.parse(stdout) as { name: string; ok: boolean; detail: string }[];
    assert.ok(checks.length >= 3);
    // The check without which no bot starts: bubblewrap, or the Docker daemon.
    const essential =
      TEST_RUNTIME === "docker"
        ? /docker daemon/i
        : TEST_RUNTIME === "containerd"
          ? /^containerd$/i
          : /bwrap|bubblewrap/i;
    const check = checks.find((candidate) => essential.test(candidate.name));
    assert.ok(check?.ok, JSON.stringify(checks));
  });

  it("migrates a bot's legacy bind-mount data once its agent answers", async () => {
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

  it("snapshots, lists and rolls back a bot's workspace", async () => {
    await botbox("exec", "cli-bot", "--", "echo before > /data/state.txt");
    const created = JSON.parse((await botbox("snapshot", "create", "cli-bot", "--name", "first", "--json")).stdout) as {
      version: number;
    };
    assert.ok(created.version >= 1);
    await botbox("exec", "cli-bot", "--", "echo after > /data/state.txt");
    const listed = (await botbox("snapshot", "ls", "cli-bot")).stdout;
    assert.match(listed, /^VERSION\s+NAME\s+SOURCE/);
    assert.match(listed, /first/);
    assert.equal(
      (await botbox("snapshot", "rollback", "cli-bot", String(created.version))).stdout,
      `cli-bot: rolled back to version ${created.version}\n`,
    );
    assert.equal((await botbox("exec", "cli-bot", "--", "cat /data/state.txt")).stdout, "before\n");
    await assert.rejects(botbox("snapshot", "rollback", "cli-bot", "zero"), /version/);
  });

  it("exports /data to a file and imports it into another bot, quietly in a pipe", async () => {
    const scratch = await mkdtemp(path.join(tmpdir(), "botbox-cli-"));
    try {
      await botbox("exec", "cli-bot", "--", "mkdir -p /data/proj && printf 'x%.0s' $(seq 1 1000) > /data/proj/f.txt");
      const archive = path.join(scratch, "data.tar.gz");
      const exported = await botbox("export", "cli-bot", archive);
      assert.equal(exported.stderr, `${archive}\n`, "no progress bar when stderr is not a terminal");
      assert.ok(!existsSync(`${archive}.part`));
      await botbox("bot", "create", "CLI copy", "cli-copy");
      await botbox("bot", "start", "cli-copy");
      await botbox("import", "cli-copy", archive);
      assert.equal((await botbox("exec", "cli-copy", "--", "wc -c < /data/proj/f.txt")).stdout.trim(), "1000");
      await assert.rejects(botbox("import", "cli-copy", path.join(scratch, "missing.tar.gz")), /cannot read/);
    } finally {
      await server.api("DELETE", "/bots/cli-copy");
      await rm(scratch, { recursive: true, force: true });
    }
  });

  it("adds a bot's MCP server and calls tools through the gateway", async () => {
    const script = [
      "const rl=require('readline').createInterface({input:process.stdin});",
      "const send=(m)=>process.stdout.write(JSON.stringify(m)+'\\n');",
      "rl.on('line',(l)=>{const m=JSON.parse(l);if(m.id===undefined)return;",
      "if(m.method==='initialize')send({jsonrpc:'2.0',id:m.id,result:{protocolVersion:m.params.protocolVersion,capabilities:{tools:{}},serverInfo:{name:'tiny',version:'1'}}});",
      "else if(m.method==='tools/list')send({jsonrpc:'2.0',id:m.id,result:{tools:[{name:'shout',inputSchema:{type:'object',properties:{text:{type:'string'}}}}]}});",
      "else if(m.method==='tools/call')send({jsonrpc:'2.0',id:m.id,result:{content:[{type:'text',text:process.env.PREFIX+String(m.params.arguments.text).toUpperCase()}]}});",
      "else send({jsonrpc:'2.0',id:m.id,error:{code:-32601,message:'no'}});});",
    ].join("");
    await server.api("POST", "/bots/cli-bot/container/exec", { command: "cat > /data/tiny.js", stdin: script });
    await botbox("mcp", "add", "cli-bot", "tiny", "--env", "PREFIX=>> ", "--", "node", "/data/tiny.js");
    assert.match((await botbox("mcp", "ls", "cli-bot")).stdout, /tiny\s+true\s+node \/data\/tiny\.js/);
    const tools = (await botbox("mcp", "tools", "cli-bot")).stdout;
    assert.match(tools, /^read /m);
    assert.match(tools, /^tiny__shout/m);
    assert.equal((await botbox("mcp", "call", "cli-bot", "tiny__shout", '{"text":"hey"}')).stdout, ">> HEY\n");
    const read = await botbox("mcp", "call", "cli-bot", "read", '{"path":"state.txt"}', "--json");
    assert.match((JSON.parse(read.stdout) as { content: { text: string }[] }).content[0]!.text, /before/);
    await assert.rejects(botbox("mcp", "call", "cli-bot", "read", "{nope"), /JSON object/);
    await botbox("mcp", "rm", "cli-bot", "tiny");
    assert.doesNotMatch((await botbox("mcp", "ls", "cli-bot")).stdout, /tiny/);
  });

  it("finds the server and token in the user's config file", async () => {
    await withScratchFolder("botbox-cli-config-", async (scratch) => {
      const file = path.join(scratch, "config.toml");
      await writeFile(file, `url = "${server.url}"\ntoken = "${server.adminToken}"\n`);
      const { stdout } = await run(process.execPath, [BOTBOX, "bot", "list", "--json"], {
        env: { ...process.env, BOTBOX_URL: "", BOTBOX_TOKEN: "", BOTBOX_ADMIN_TOKEN: "", BOTBOX_CLI_CONFIG: file },
      });
      assert.ok((JSON.parse(stdout) as { id: string }[]).some((bot) => bot.id === "cli-bot"));
      await writeFile(file, "url = [1]\n");
      await assert.rejects(
        run(process.execPath, [BOTBOX, "bot", "list"], {
          env: { ...process.env, BOTBOX_URL: "", BOTBOX_TOKEN: "", BOTBOX_CLI_CONFIG: file },
        }),
        /url must be a non-empty string/,
      );
    });
  });

  it("moves files in and out with fs, streaming, and lists, renames and deletes", async () => {
    await withScratchFolder("botbox-cli-fs-", async (scratch) => {
      const local = path.join(scratch, "blob.bin");
      const content = Buffer.alloc(3 * 2 ** 20 + 17);
      for (let i = 0; i < content.length; i++) content[i] = (i * 31) % 251;
      await writeFile(local, content);
      assert.equal(
        (await botbox("fs", "put", "cli-bot", local, "/data/in/blob.bin")).stdout,
        `/data/in/blob.bin: ${content.length} bytes\n`,
      );
      await botbox("fs", "mkdir", "cli-bot", "/data/in/sub/deeper");
      const listed = JSON.parse((await botbox("fs", "ls", "cli-bot", "/data/in", "-r", "--json")).stdout) as {
        path: string;
        isDir: boolean;
      }[];
      assert.deepEqual(listed.map((entry) => entry.path).sort(), [
        "/data/in/blob.bin",
        "/data/in/sub",
        "/data/in/sub/deeper",
      ]);
      await botbox("fs", "mv", "cli-bot", "/data/in/blob.bin", "/data/in/sub/moved.bin");
      const back = path.join(scratch, "back.bin");
      const got = await botbox("fs", "get", "cli-bot", "/data/in/sub/moved.bin", back);
      assert.equal(got.stderr, "", "no progress bar in a pipe");
      assert.ok(Buffer.compare(await readFile(back), content) === 0);
      assert.ok(!existsSync(`${back}.part`));
      await botbox("exec", "cli-bot", "--", "printf 'cat me' > /data/in/c.txt");
      assert.equal((await botbox("fs", "cat", "cli-bot", "/data/in/c.txt")).stdout, "cat me");
      await assert.rejects(botbox("fs", "cat", "cli-bot", "/data/in/none.txt"), /fs get: 404/);
      await assert.rejects(botbox("fs", "rm", "cli-bot", "/data"), /403/);
      await botbox("fs", "rm", "cli-bot", "/data/in", "-r");
      await assert.rejects(botbox("fs", "ls", "cli-bot", "/data/in"), /404/);
    });
  });

  it("adds, lists and removes skills, and remembers and searches memories", async () => {
    await withScratchFolder("botbox-cli-skills-", async (scratch) => {
      const skill = path.join(scratch, "SKILL.md");
      await writeFile(skill, "---\nname: greet\ndescription: Say hello nicely\n---\nSay hello.\n");
      assert.equal((await botbox("skills", "add", "cli-bot", skill)).stdout, "greet\n");
      assert.match((await botbox("skills", "ls", "cli-bot")).stdout, /^greet\s+Say hello nicely$/m);
      await botbox("skills", "rm", "cli-bot", "greet");
      assert.doesNotMatch((await botbox("skills", "ls", "cli-bot")).stdout, /greet/);
      await assert.rejects(botbox("skills", "add", "cli-bot", path.join(scratch, "none.md")), /cannot read/);

      const id = (await botbox("memory", "add", "cli-bot", "the", "sky", "is", "blue")).stdout.trim();
      assert.match(id, /^cli-bot:mem_\d+$/);
      await botbox("memory", "add", "cli-bot", "grass is green");
      const found = JSON.parse((await botbox("memory", "search", "cli-bot", "sky", "--json")).stdout) as {
        id: string;
        memory: string;
      }[];
      assert.deepEqual(
        found.map((memory) => [memory.id, memory.memory]),
        [[id, "the sky is blue"]],
      );
      assert.equal((await botbox("memory", "ls", "cli-bot", "--limit", "1")).stdout.trim().split("\n").length, 1);
      await assert.rejects(botbox("memory", "ls", "cli-bot", "--limit", "0"), /--limit/);
      assert.equal((await botbox("memory", "rm", "cli-bot", id)).stdout, "deleted 1\n");
    });
  });
});

describe("botbox serve without bubblewrap", { skip: TEST_RUNTIME !== "sandbox" && "the sandbox backend only" }, () => {
  it("refuses to start and says how to install it", async () => {
    const home = await newHome();
    try {
      const failed = await run(process.execPath, [BOTBOX, "serve"], {
        env: {
          ...process.env,
          BOTBOX_HOME: home,
          BOTBOX_PORT: "0",
          BOTBOX_RUNTIME: "sandbox",
          BOTBOX_SANDBOX_BWRAP_PATH: "/nonexistent/bwrap",
        },
        timeout: 30_000,
      }).then(
        () => undefined,
        (error: { code?: number; stdout: string; stderr: string }) => error,
      );
      assert.ok(failed, "botbox serve started without bubblewrap");
      assert.notEqual(failed.code, 0);
      assert.match(
        failed.stdout + failed.stderr,
        /\/nonexistent\/bwrap was not found: install it with `apt-get install bubblewrap`/,
      );
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
