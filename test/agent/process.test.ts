// The agent as a process: template seeding, bearer-token auth, Unix socket
// and TCP transports, Info, per-call logs and shutdown on SIGTERM.
import assert from "node:assert/strict";
import { once } from "node:events";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { type AgentProcess, startAgentProcess } from "../support/agent-process.js";
import { stopAgentWithClient } from "../support/agent-with-client.js";
import {
  bearer,
  processGone,
  RawAgentClient,
  rejectsWithCode,
  RFC3339_SECONDS,
  sharedAgentWithRawClient,
  startAgentWithRawClient,
  status,
  waitFor,
} from "./support.js";

const AGENT_PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL("../../packages/agent/package.json", import.meta.url), "utf8")) as { version: string }
).version;

describe("template seeding", { timeout: 20_000 }, () => {
  let root: string;
  let templateDir: string;
  let dataDir: string;
  let agent: AgentProcess | undefined;

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), "botbox-agent-templates-"));
    templateDir = path.join(root, "templates");
    dataDir = path.join(root, "data");
    mkdirSync(path.join(templateDir, "sub"), { recursive: true });
    writeFileSync(path.join(templateDir, "IDENTITY.md"), "template identity\n");
    chmodSync(path.join(templateDir, "IDENTITY.md"), 0o600);
    writeFileSync(path.join(templateDir, "SOUL.md"), "template soul\n");
    writeFileSync(path.join(templateDir, "sub", "nested.md"), "nested\n");
    mkdirSync(dataDir);
    writeFileSync(path.join(dataDir, "SOUL.md"), "my own soul\n");
    agent = await startAgentProcess({ transport: "unix", templateDir, dataDir });
  });

  after(async () => {
    await agent?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("copies a missing top-level template file with mode 0644", () => {
    assert.equal(readFileSync(path.join(dataDir, "IDENTITY.md"), "utf8"), "template identity\n");
    assert.equal((statSync(path.join(dataDir, "IDENTITY.md")).mode & 0o777).toString(8), "644");
  });

  it("leaves a file that already exists in the data dir untouched", () => {
    assert.equal(readFileSync(path.join(dataDir, "SOUL.md"), "utf8"), "my own soul\n");
  });

  it("does not copy template subfolders", () => {
    assert.equal(existsSync(path.join(dataDir, "sub")), false);
  });

  it("reports the seeded files in its start-up log line", () => {
    const listening = agent!.logs.find((line) => line.msg === "agent listening");
    assert.deepEqual(listening?.seeded, ["IDENTITY.md"]);
  });

  it("seeds a deleted template file again on the next start", async () => {
    await agent!.stop();
    unlinkSync(path.join(dataDir, "IDENTITY.md"));
    agent = await startAgentProcess({ transport: "unix", templateDir, dataDir });
    assert.equal(readFileSync(path.join(dataDir, "IDENTITY.md"), "utf8"), "template identity\n");
    assert.equal(readFileSync(path.join(dataDir, "SOUL.md"), "utf8"), "my own soul\n");
  });

  it("creates a missing data dir before seeding it", async () => {
    const fresh = path.join(root, "fresh", "nested", "data");
    const other = await startAgentProcess({ transport: "tcp", templateDir, dataDir: fresh });
    try {
      assert.ok(statSync(fresh).isDirectory());
      assert.equal(readFileSync(path.join(fresh, "SOUL.md"), "utf8"), "template soul\n");
      assert.equal(readFileSync(path.join(fresh, "IDENTITY.md"), "utf8"), "template identity\n");
    } finally {
      await other.stop();
    }
  });
});

describe("bearer token auth", { timeout: 20_000 }, () => {
  let agent: AgentProcess;
  let anonymous: RawAgentClient;
  let authorized: RawAgentClient;

  before(async () => {
    agent = await startAgentProcess({ transport: "unix", token: "s3cret" });
    anonymous = new RawAgentClient(agent.address);
    authorized = new RawAgentClient(agent.address, "s3cret");
    writeFileSync(path.join(agent.dataDir, "hello.txt"), "hello\n");
  });

  after(async () => {
    anonymous?.close();
    authorized?.close();
    await agent?.stop();
  });

  it("rejects a unary call without metadata with UNAUTHENTICATED", async () => {
    await rejectsWithCode(anonymous.readFile({ path: "hello.txt" }), status.UNAUTHENTICATED);
    await rejectsWithCode(anonymous.info(), status.UNAUTHENTICATED);
  });

  it("rejects a server-streaming call (ReadRaw) without metadata", async () => {
    await rejectsWithCode(anonymous.readRaw("hello.txt"), status.UNAUTHENTICATED);
  });

  it("rejects a client-streaming call (WriteRaw) without metadata, and writes nothing", async () => {
    await rejectsWithCode(anonymous.writeRaw([{ path: "sneaky.txt", data: Buffer.from("x") }]), status.UNAUTHENTICATED);
    await sleep(100);
    assert.equal(existsSync(path.join(agent.dataDir, "sneaky.txt")), false);
  });

  it("rejects Exec without metadata, and runs nothing", async () => {
    await rejectsWithCode(anonymous.exec({ command: "touch pwned" }), status.UNAUTHENTICATED);
    await sleep(200);
    assert.equal(existsSync(path.join(agent.dataDir, "pwned")), false);
  });

  it("rejects a wrong, partial or scheme-less token", async () => {
    for (const value of ["Bearer wrong", "Bearer s3cre", "Bearer s3cretX", "s3cret", "Basic s3cret"]) {
      const metadata = bearer();
      metadata.set("authorization", value);
      await rejectsWithCode(anonymous.readFile({ path: "hello.txt" }, metadata), status.UNAUTHENTICATED, undefined);
    }
    await rejectsWithCode(anonymous.readFile({ path: "hello.txt" }, bearer("wrong")), status.UNAUTHENTICATED);
    await rejectsWithCode(anonymous.exec({ command: "true" }, { metadata: bearer("wrong") }), status.UNAUTHENTICATED);
  });

  it("accepts every kind of call with authorization: Bearer s3cret", async () => {
    assert.equal((await authorized.readFile({ path: "hello.txt" })).content, "     1\thello\n");
    assert.equal(Buffer.concat(await authorized.readRaw("hello.txt")).toString(), "hello\n");
    assert.equal((await authorized.writeRaw([{ path: "allowed.txt", data: Buffer.from("ok") }])).bytesWritten, 2);
    const result = await authorized.exec({ command: "cat allowed.txt" });
    assert.equal(result.stdout.toString(), "ok");
    assert.equal(result.exitCode, 0);
    assert.equal((await authorized.info()).dataDir, agent.dataDir);
  });

  it("never writes the token to its log", () => {
    assert.ok(agent.logs.length > 0);
    assert.ok(!JSON.stringify(agent.logs).includes("s3cret"), "the token appears in the log");
  });
});

for (const transport of ["unix", "tcp"] as const) {
  describe(`over a ${transport === "unix" ? "Unix socket" : "TCP port"}`, { timeout: 20_000 }, () => {
    let agent: AgentProcess;
    let client: RawAgentClient;

    before(async () => {
      ({ agent, client } = await sharedAgentWithRawClient({ transport }));
    });

    after(() => stopAgentWithClient({ agent, client }));

    it("serves WriteFile, ReadFile, Exec and Info", async () => {
      await client.writeFile("smoke/hello.txt", "hi there\n");
      assert.deepEqual(await client.readFile({ path: "smoke/hello.txt" }), {
        content: "     1\thi there\n",
        totalLines: 1,
        binary: false,
      });
      const result = await client.exec({ command: "echo smoke-$((6 * 7))" });
      assert.equal(result.stdout.toString(), "smoke-42\n");
      assert.equal(result.exitCode, 0);
      const info = await client.info();
      assert.equal(info.botId, agent.botId);
      assert.equal(info.dataDir, agent.dataDir);
    });

    if (transport === "unix") {
      it("creates its socket file with mode 0600", () => {
        assert.ok(agent.address.startsWith("unix:"));
        const socket = statSync(agent.socketPath!);
        assert.ok(socket.isSocket());
        assert.equal((socket.mode & 0o777).toString(8), "600");
      });
    } else {
      it("listens on a real TCP port", () => {
        assert.match(agent.address, /^127\.0\.0\.1:\d+$/);
        assert.notEqual(agent.address, "127.0.0.1:0");
      });
    }
  });
}

describe("Info", { timeout: 20_000 }, () => {
  let agent: AgentProcess;
  let client: RawAgentClient;
  let startedBefore: number;

  before(async () => {
    startedBefore = Date.now();
    ({ agent, client } = await startAgentWithRawClient({ transport: "unix", botId: "bot-info-42" }));
  });

  after(() => stopAgentWithClient({ agent, client }));

  it("returns the bot id, the agent version, the real data dir and an RFC3339 start time", async () => {
    const info = await client.info();
    assert.equal(info.botId, "bot-info-42");
    assert.ok(info.agentVersion.length > 0, "empty agent version");
    assert.equal(info.agentVersion, AGENT_PACKAGE_VERSION);
    assert.equal(info.dataDir, agent.dataDir);
    assert.match(info.startedAt, RFC3339_SECONDS);
    const started = Date.parse(info.startedAt);
    assert.ok(
      started >= Math.floor(startedBefore / 1000) * 1000 && started <= Date.now(),
      `startedAt ${info.startedAt} is not the start`,
    );
    assert.equal((await client.info()).startedAt, info.startedAt, "startedAt must not change between calls");
  });
});

describe("call logs", { timeout: 20_000 }, () => {
  let agent: AgentProcess;
  let client: RawAgentClient;

  before(async () => {
    ({ agent, client } = await startAgentWithRawClient({ transport: "unix" }));
  });

  after(() => stopAgentWithClient({ agent, client }));

  it("writes one line per call with method, path, durationMs and code", async () => {
    await rejectsWithCode(client.readFile({ path: "log-probe/missing.txt" }), status.NOT_FOUND);
    await client.writeFile("log-probe/ok.txt", "x");
    await rejectsWithCode(client.readRaw("log-probe/nothing.bin"), status.NOT_FOUND);
    await client.writeRaw([{ path: "log-probe/raw.bin", data: Buffer.from("r") }]);
    await client.exec({ command: "true", workDir: "log-probe" });
    await rejectsWithCode(client.exec({ command: "" }), status.INVALID_ARGUMENT);
    await client.info();
    const calls = () => agent.logs.filter((line) => line.msg === "call");
    assert.ok(
      await waitFor(() => calls().length >= 7),
      `only ${calls().length} call lines: ${JSON.stringify(agent.logs)}`,
    );
    await sleep(100);
    const lines = calls();
    assert.deepEqual(
      lines.map((line) => [line.method, line.code]),
      [
        ["ReadFile", "NOT_FOUND"],
        ["WriteFile", "OK"],
        ["ReadRaw", "NOT_FOUND"],
        ["WriteRaw", "OK"],
        ["Exec", "OK"],
        ["Exec", "INVALID_ARGUMENT"],
        ["Info", "OK"],
      ],
    );
    const probe = path.join(agent.dataDir, "log-probe");
    assert.deepEqual(
      lines.map((line) => line.path),
      [
        "log-probe/missing.txt",
        "log-probe/ok.txt",
        path.join(probe, "nothing.bin"),
        path.join(probe, "raw.bin"),
        probe,
        undefined,
        undefined,
      ],
    );
    for (const line of lines) {
      assert.equal(typeof line.durationMs, "number", JSON.stringify(line));
      assert.ok((line.durationMs as number) >= 0);
    }
  });
});

// Concurrent: each test has an agent of its own, and the second waits out the agent's 5 s grace.
describe("shutdown", { timeout: 20_000, concurrency: true }, () => {
  it("stops gracefully with exit code 0 on SIGTERM", async () => {
    const { agent, client } = await startAgentWithRawClient({ transport: "unix" });
    try {
      await client.info();
      // "close", not "exit": the last log lines may still be in the pipe at exit.
      const exited = once(agent.child, "close");
      agent.child.kill("SIGTERM");
      const [code, signal] = await exited;
      assert.equal(signal, null);
      assert.equal(code, 0);
      assert.ok(agent.logs.some((line) => line.msg === "stopping"));
    } finally {
      client.close();
      await agent.stop();
    }
  });

  it("on SIGTERM during a running Exec, ends the call, kills the command and exits 0 within the grace period", async () => {
    const { agent, client } = await startAgentWithRawClient({ transport: "unix" });
    try {
      const running = client.startExec({
        command: "sh -c 'echo $$ > long.pid; exec sleep 30' & wait",
        timeoutSeconds: 60,
      });
      const pidFile = path.join(agent.dataDir, "long.pid");
      assert.ok(await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, "utf8").endsWith("\n"), 5_000));
      const pid = Number(readFileSync(pidFile, "utf8"));
      const started = Date.now();
      const exited = once(agent.child, "exit");
      agent.child.kill("SIGTERM");
      const [code] = await exited;
      const elapsed = Date.now() - started;
      assert.equal(code, 0);
      assert.ok(elapsed < 8_000, `exit took ${elapsed} ms`);
      await assert.rejects(running.result);
      assert.ok(await waitFor(() => processGone(pid), 2_000), `command ${pid} survived the agent`);
    } finally {
      client.close();
      await agent.stop();
    }
  });
});
