import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const BOTBOX = fileURLToPath(new URL("../../packages/server/dist/botbox.js", import.meta.url));
const run = promisify(execFile);

const ADMIN_TOKEN = "bbx_admin_file_secret_0123456789";
const DB_PASSWORD = "pg-Secret-42";

describe("botbox config print", () => {
  let scratch: string;
  let file: string;

  before(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), "botbox-config-print-"));
    file = path.join(scratch, "botbox.toml");
    await writeFile(
      file,
      [
        "[server]",
        "port = 9000",
        `admin_token = "${ADMIN_TOKEN}"`,
        "[runtime]",
        'network = "none"',
        "[mcp]",
        'snapshotter = "native"',
        "",
      ].join("\n"),
    );
  });
  after(() => rm(scratch, { recursive: true, force: true }));

  const env = {
    ...process.env,
    BOTBOX_PORT: "",
    BOTBOX_HOME: "",
    BOTBOX_ADMIN_TOKEN: "",
    BOTBOX_RUNTIME: "",
    DATABASE_URL: `postgres://botbox:${DB_PASSWORD}@127.0.0.1:5432/botbox`,
    BOTBOX_RUNTIME_PIDS: "77",
    BOTBOX_SERVER_HOST: "127.0.0.2",
  };

  it("shows every value in force with its source, secrets masked", async () => {
    const { stdout, stderr } = await run(process.execPath, [BOTBOX, "config", "print", "--config", file], { env });
    const line = (key: string) => stdout.split("\n").find((candidate) => candidate.startsWith(`${key} `)) ?? "";
    assert.match(line("server.port"), /^server\.port +9000 +file .*botbox\.toml$/);
    assert.match(line("server.host"), /^server\.host +"127\.0\.0\.2" +env BOTBOX_SERVER_HOST$/);
    assert.match(line("runtime.pids"), /77 +env BOTBOX_RUNTIME_PIDS$/);
    assert.match(line("runtime.network"), /"none" +file /);
    assert.match(line("runtime.cpus"), /^runtime\.cpus +1 +default$/);
    assert.match(line("mcp.image"), /\(unset\) +unset$/);
    assert.match(line("server.admin_token"), /"\*{8}" +file /);
    assert.match(line("database.url"), /"postgres:\/\/botbox:\*{8}@127\.0\.0\.1:5432\/botbox" +env DATABASE_URL$/);
    assert.ok(!stdout.includes(ADMIN_TOKEN) && !stdout.includes(DB_PASSWORD), "a secret was printed");
    assert.match(stderr, /\[mcp\] snapshotter \(in .*botbox\.toml\) is no longer read and is ignored/);
    assert.ok(!stdout.includes("mcp.snapshotter"));
  });

  it("prints the same as JSON, and fails naming the key of a bad value", async () => {
    const { stdout } = await run(process.execPath, [BOTBOX, "config", "print", "--config", file, "--json"], { env });
    const settings = JSON.parse(stdout) as { key: string; value: unknown; source: { kind: string } }[];
    const byKey = new Map(settings.map((setting) => [setting.key, setting]));
    assert.deepEqual(byKey.get("runtime.pids"), {
      key: "runtime.pids",
      value: 77,
      source: { kind: "env", variable: "BOTBOX_RUNTIME_PIDS" },
    });
    assert.equal(byKey.get("server.admin_token")?.value, "********");
    await assert.rejects(
      run(process.execPath, [BOTBOX, "config", "print", "--config", file], {
        env: { ...env, BOTBOX_RUNTIME_PIDS: "many" },
      }),
      (error: { code: number; stderr: string }) => error.code === 1 && /runtime\.pids/.test(error.stderr),
    );
  });
});
