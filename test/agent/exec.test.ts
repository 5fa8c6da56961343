// Exec, the bidirectional command stream, against the
// real bundled agent, with botbox's fixes: stdin in the first message, kills
// of the whole process group, 128+signal exit codes, negative timeouts.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, realpathSync } from "node:fs";
import http2 from "node:http2";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import type { AgentProcess } from "../support/agent-process.js";
import { stopAgentWithClient } from "../support/agent-with-client.js";
import { SHARED_AGENT_TOKEN, sharedAgentProcess } from "../support/shared-agent.js";
import {
  ExecInput,
  ExecOutput_Stream,
  openRawCall,
  processGone,
  RawAgentClient,
  rejectsWithCode,
  sharedAgentWithRawClient,
  status,
  waitFor,
} from "./support.js";

describe("Exec", { timeout: 40_000 }, () => {
  let agent: AgentProcess;
  let client: RawAgentClient;
  const inData = (...parts: string[]) => path.join(agent.dataDir, ...parts);
  const text = (buffer: Buffer) => buffer.toString("utf8");
  /** Waits for a pid file a command writes and returns the pid in it. */
  const pidFrom = async (name: string) => {
    assert.ok(
      await waitFor(() => existsSync(inData(name)) && /^\d+\n$/.test(readFileSync(inData(name), "utf8")), 5_000),
      `${name} never appeared`,
    );
    return Number(readFileSync(inData(name), "utf8"));
  };

  before(async () => {
    ({ agent, client } = await sharedAgentWithRawClient({ transport: "unix" }));
  });

  after(() => stopAgentWithClient({ agent, client }));

  describe("output and exit", () => {
    it("separates stdout and stderr and ends with one EXIT message carrying the exit code", async () => {
      const result = await client.exec({ command: "echo out; echo err >&2; exit 3" });
      assert.equal(text(result.stdout), "out\n");
      assert.equal(text(result.stderr), "err\n");
      assert.equal(result.exitCode, 3);
      const exits = result.messages.filter((m) => m.stream === ExecOutput_Stream.EXIT);
      assert.equal(exits.length, 1);
      assert.equal(result.messages.at(-1)?.stream, ExecOutput_Stream.EXIT);
      assert.equal(exits[0]!.data.length, 0);
    });

    it("reports exit code 0 for a successful command", async () => {
      const result = await client.exec({ command: "true" });
      assert.equal(result.exitCode, 0);
      assert.deepEqual(
        result.messages.map((m) => m.stream),
        [ExecOutput_Stream.EXIT],
      );
    });

    it("reports 128+signal for a command killed by a signal", async () => {
      assert.equal((await client.exec({ command: "kill -TERM $$" })).exitCode, 143);
    });

    it("delivers a large output complete, in order, in messages of at most 4096 bytes", async () => {
      const result = await client.exec({ command: "seq 1 200000; head -c 1000000 /dev/zero | tr '\\0' a" });
      const expected = Array.from({ length: 200_000 }, (_, i) => `${i + 1}\n`).join("") + "a".repeat(1_000_000);
      assert.equal(result.stdout.length, Buffer.byteLength(expected));
      assert.ok(result.stdout.equals(Buffer.from(expected)), "stdout differs from what the command wrote");
      const biggest = Math.max(...result.messages.map((m) => m.data.length));
      assert.ok(biggest <= 4096, `a message carried ${biggest} bytes`);
      assert.equal(result.exitCode, 0);
    });
  });

  describe("work dir and environment", () => {
    it("runs in the data dir by default", async () => {
      const result = await client.exec({ command: "pwd -P" });
      assert.equal(text(result.stdout), `${realpathSync(agent.dataDir)}\n`);
    });

    it("resolves a relative work dir under the data dir", async () => {
      mkdirSync(inData("work", "sub"), { recursive: true });
      const result = await client.exec({ command: "pwd -P", workDir: "work/sub" });
      assert.equal(text(result.stdout), `${realpathSync(inData("work", "sub"))}\n`);
    });

    it("uses an absolute work dir as-is", async () => {
      const result = await client.exec({ command: "pwd -P", workDir: "/" });
      assert.equal(text(result.stdout), "/\n");
    });

    it('answers INTERNAL with a message starting "start:" for a missing work dir', async () => {
      await rejectsWithCode(client.exec({ command: "true", workDir: "no/such/dir" }), status.INTERNAL, /^start:/);
    });

    it("adds env entries, lets them override inherited ones, and lets a later duplicate win", async () => {
      const result = await client.exec({
        command: 'echo "$FOO|$HOME|$DUP"; test -n "$PATH" && echo has-path',
        env: ["FOO=bar baz", "HOME=/override", "DUP=1", "DUP=2", "EMPTY="],
      });
      assert.equal(text(result.stdout), "bar baz|/override|2\nhas-path\n");
      assert.equal(text((await client.exec({ command: 'echo "[${EMPTY-unset}]"', env: ["EMPTY="] })).stdout), "[]\n");
    });

    it("answers INVALID_ARGUMENT for an env entry without = or with an empty key", async () => {
      await rejectsWithCode(client.exec({ command: "true", env: ["FOO"] }), status.INVALID_ARGUMENT);
      await rejectsWithCode(client.exec({ command: "true", env: ["=x"] }), status.INVALID_ARGUMENT);
    });
  });

  describe("stdin", () => {
    it("feeds stdin_data of the first message to the process", async () => {
      const result = await client.exec({ command: "cat", stdinData: Buffer.from("from the first message") });
      assert.equal(text(result.stdout), "from the first message");
      assert.equal(result.exitCode, 0);
    });

    it("feeds stdin_data of later messages in order, and the half-close gives EOF", async () => {
      const result = await client.exec({ command: "cat; echo EOF-seen" }, { stdin: ["one ", "two ", "three"] });
      assert.equal(text(result.stdout), "one two threeEOF-seen\n");
      assert.equal(result.exitCode, 0);
    });

    it("keeps the first message's stdin ahead of later messages", async () => {
      const result = await client.exec({ command: "cat", stdinData: Buffer.from("1") }, { stdin: ["2", "3"] });
      assert.equal(text(result.stdout), "123");
    });

    it("passes stdin interactively while the command runs", async () => {
      const running = client.startExec({ command: "read line; echo got:$line; read again; echo then:$again" });
      const stdout: string[] = [];
      running.call.on("data", (m: { stream: number; data: Buffer }) => {
        if (m.stream === ExecOutput_Stream.STDOUT) stdout.push(m.data.toString());
      });
      running.send({ stdinData: Buffer.from("first\n") });
      assert.ok(
        await waitFor(() => stdout.join("") === "got:first\n"),
        `stdout so far: ${JSON.stringify(stdout.join(""))}`,
      );
      running.send({ stdinData: Buffer.from("second\n") });
      running.call.end();
      const result = await running.result;
      assert.equal(text(result.stdout), "got:first\nthen:second\n");
    });

    it("completes a command that exits without reading a large stdin", async () => {
      const chunks = Array.from({ length: 64 }, () => Buffer.alloc(32 * 1024, "i"));
      const result = await client.exec({ command: "echo bye; exit 4" }, { stdin: chunks });
      assert.equal(text(result.stdout), "bye\n");
      assert.equal(result.exitCode, 4);
    });

    it("streams a large stdin through to a large stdout", async () => {
      const data = Buffer.alloc(2 * 1024 * 1024);
      for (let i = 0; i < data.length; i++) data[i] = 32 + (i % 90);
      const chunks = [];
      for (let offset = 0; offset < data.length; offset += 32 * 1024)
        chunks.push(data.subarray(offset, offset + 32 * 1024));
      const result = await client.exec({ command: "cat" }, { stdin: chunks });
      assert.equal(result.stdout.length, data.length);
      assert.ok(result.stdout.equals(data), "the echoed stdin differs");
    });
  });

  // Concurrent: each test waits a second or more on the agent's clock and
  // none touches another's command or files (each writes pid files of its
  // own name), so their waits overlap instead of adding up.
  describe("timeouts and cancellation", { concurrency: true }, () => {
    /** Runs `command` with a timeout of one second and checks the call ended within 2.5 s. */
    const execTimingOut = async (command: string) => {
      const started = Date.now();
      const result = await client.exec({ command, timeoutSeconds: 1 });
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 2_500, `ended after ${elapsed} ms`);
      return { result, elapsed };
    };

    it("kills a command at its timeout with exit code 137 within a second of the deadline", async () => {
      const { result, elapsed } = await execTimingOut("sleep 30");
      assert.equal(result.exitCode, 137);
      assert.ok(elapsed >= 900, `ended after only ${elapsed} ms`);
    });

    it("a timeout kills grandchildren that hold stdout", async () => {
      const { result } = await execTimingOut("sh -c 'echo $$ > gc-timeout.pid; exec sleep 30' & wait; echo never");
      assert.equal(result.exitCode, 137);
      assert.ok(!text(result.stdout).includes("never"));
      const pid = await pidFrom("gc-timeout.pid");
      assert.ok(await waitFor(() => processGone(pid), 1_000), `grandchild ${pid} still runs`);
    });

    it("a timeout ends the call when the shell has exited but a background job still holds stdout", async () => {
      const { result } = await execTimingOut("sh -c 'echo $$ > gc-bg.pid; exec sleep 30' & echo started");
      assert.equal(text(result.stdout), "started\n");
      assert.equal(result.messages.at(-1)?.stream, ExecOutput_Stream.EXIT);
      const pid = await pidFrom("gc-bg.pid");
      assert.ok(await waitFor(() => processGone(pid), 1_000), `background job ${pid} still runs`);
    });

    it("a client cancel kills the command and its children", async () => {
      const running = client.startExec({
        command: "echo $$ > cancel-shell.pid; sh -c 'echo $$ > cancel-child.pid; exec sleep 30' & wait",
      });
      const shell = await pidFrom("cancel-shell.pid");
      const child = await pidFrom("cancel-child.pid");
      assert.equal(processGone(child), false, "the child should be running before the cancel");
      running.call.cancel();
      await rejectsWithCode(running.result, status.CANCELLED);
      assert.ok(
        await waitFor(() => processGone(shell) && processGone(child), 1_000),
        `shell ${shell} or child ${child} still runs`,
      );
    });

    it("a cancel that arrives while the command starts still kills it", async () => {
      // A raw HTTP/2 stream: grpc-js never sends a cancel that comes before its
      // call is under way, so it cannot aim at the agent's start-up window.
      const delays = [0, 0, 0, 1, 1, 2, 3, 5, 8];
      const sessions = [];
      for (const [i, delay] of delays.entries()) {
        const config = ExecInput.fromPartial({
          command: `echo $$ > early-${i}.pid; exec sleep 30`,
          timeoutSeconds: -1,
        });
        const { session, stream } = await openRawCall(agent.address, "Exec", [ExecInput.encode(config).finish()]);
        if (delay > 0) await sleep(delay);
        stream.close(http2.constants.NGHTTP2_CANCEL);
        sessions.push(session);
      }
      const survivors = () =>
        delays.flatMap((delay, i) => {
          const file = inData(`early-${i}.pid`);
          if (!existsSync(file)) return [];
          const content = readFileSync(file, "utf8");
          // A shell killed while it wrote the file ran nothing after it.
          if (!/^\d+\n$/.test(content)) return [];
          const pid = Number(content);
          return processGone(pid) ? [] : [{ delay, pid }];
        });
      // The agent kills when it has read the cancel: on a loaded machine that
      // can take a while: after the 300 ms a start needs, the check waits up to
      // 5 s more for the kill (the command sleeps 30).
      await sleep(300);
      const deadline = Date.now() + 5_000;
      while (survivors().length > 0 && Date.now() < deadline) await sleep(50);
      for (const session of sessions) session.close();
      const left = survivors();
      for (const { pid } of left) process.kill(pid, "SIGKILL");
      assert.deepEqual(
        left.map(({ delay, pid }) => `cancelled after ${delay} ms: pid ${pid} still ran`),
        [],
      );
    });

    it("runs without a timeout when timeout_seconds is negative", async () => {
      const result = await client.exec({ command: "sleep 1.2; echo done", timeoutSeconds: -1 });
      assert.equal(text(result.stdout), "done\n");
      assert.equal(result.exitCode, 0);
    });

    it("uses the default timeout when timeout_seconds is 0", async () => {
      const result = await client.exec({ command: "sleep 0.2; echo ok", timeoutSeconds: 0 });
      assert.equal(text(result.stdout), "ok\n");
      assert.equal(result.exitCode, 0);
    });
  });

  describe("concurrency", () => {
    it("keeps the output of parallel calls apart", async () => {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          client.exec({
            command: `for n in 1 2 3; do echo call-${i}-$n; sleep 0.01; done; echo err-${i} >&2; exit ${i}`,
          }),
        ),
      );
      for (const [i, result] of results.entries()) {
        assert.equal(text(result.stdout), `call-${i}-1\ncall-${i}-2\ncall-${i}-3\n`);
        assert.equal(text(result.stderr), `err-${i}\n`);
        assert.equal(result.exitCode, i);
      }
    });
  });

  describe("invalid calls", () => {
    it('answers INVALID_ARGUMENT "command is required" for an empty command', async () => {
      await rejectsWithCode(client.exec({ command: "" }), status.INVALID_ARGUMENT, "command is required");
    });

    it("answers INVALID_ARGUMENT for a half-close before any message", async () => {
      const running = client.startExec(undefined);
      running.call.end();
      await rejectsWithCode(running.result, status.INVALID_ARGUMENT);
    });
  });

  describe("secrets", () => {
    let secured: AgentProcess;
    let securedClient: RawAgentClient;

    before(async () => {
      secured = await sharedAgentProcess({ transport: "unix", token: SHARED_AGENT_TOKEN });
      securedClient = new RawAgentClient(secured.address, SHARED_AGENT_TOKEN);
    });

    after(async () => {
      securedClient?.close();
      await secured?.stop();
    });

    it("hides the agent's BOTBOX_AGENT_TOKEN from commands", async () => {
      const result = await securedClient.exec({ command: "env" });
      assert.equal(result.exitCode, 0);
      const env = text(result.stdout);
      assert.match(env, /^PATH=/m, "env printed nothing useful");
      assert.doesNotMatch(env, /BOTBOX_AGENT_TOKEN/);
      assert.ok(!env.includes(SHARED_AGENT_TOKEN), "the token value leaked into the command's environment");
    });
  });
});
