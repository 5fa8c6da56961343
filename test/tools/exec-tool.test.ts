import assert from "node:assert/strict";
import { mkdir, readdir } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { ContainerTools } from "../../packages/server/src/tools/index.js";
import { startToolHarness, textOf, type ToolHarness } from "./tool-harness.js";

interface ExecOutput {
  stdout: string;
  stderr: string;
  exit_code: number;
}

describe("exec tool", () => {
  let h: ToolHarness;
  let plain: ContainerTools;

  before(async () => {
    h = await startToolHarness({ execTimeout: { defaultSeconds: 30, maxSeconds: 120 } });
    plain = new ContainerTools({
      clients: async () => h.client,
      execWorkDir: h.agent.dataDir,
      backgroundOnTimeout: false,
      execTimeout: { defaultSeconds: 30, maxSeconds: 120 },
    });
  });
  after(() => h.stop());

  it("returns stdout, stderr and exit code, exactly like a plain exec", async () => {
    assert.deepEqual(await h.ok("exec", { command: "echo hello from exec" }), {
      stdout: "hello from exec\n",
      stderr: "",
      exit_code: 0,
    });
    const command = "printf 'out'; printf 'err\\n' >&2; exit 3";
    const direct = await h.client.exec(command, { workDir: h.agent.dataDir });
    const viaTool = await h.ok("exec", { command });
    assert.deepEqual(viaTool, { stdout: direct.stdout, stderr: direct.stderr, exit_code: direct.exitCode });
    assert.deepEqual(viaTool, { stdout: "out", stderr: "err\n", exit_code: 3 });
  });

  it("treats a non-zero exit as a result, not a tool error", async () => {
    const result = await h.ok<ExecOutput>("exec", { command: "no-such-command-xyz" });
    assert.equal(result.exit_code, 127);
    assert.match(result.stderr, /not found/);
  });

  it("runs commands with quotes, exit, syntax errors and multiple lines as sh -c would", async () => {
    for (const command of [
      `echo "it's" 'a "test"' \\$HOME`,
      "exit 7",
      "echo unbalanced (",
      "for i in 1 2; do\n  echo $i\ndone # trailing comment",
      "cat; echo after-stdin",
      "echo $0",
    ]) {
      const direct = await h.client.exec(command, { workDir: h.agent.dataDir });
      const viaTool = await h.ok<ExecOutput>("exec", { command });
      assert.equal(viaTool.exit_code, direct.exitCode, command);
      assert.equal(viaTool.stdout, direct.stdout, command);
      // Error messages may name a different line number inside the job's shell.
      assert.equal(viaTool.stderr === "", direct.stderr === "", command);
    }
  });

  it("runs in the data folder by default, and in a work_dir relative to it", async () => {
    await mkdir(path.join(h.agent.dataDir, "work/sub"), { recursive: true });
    assert.equal((await h.ok<ExecOutput>("exec", { command: "pwd" })).stdout, `${h.agent.dataDir}\n`);
    assert.equal(
      (await h.ok<ExecOutput>("exec", { command: "pwd", work_dir: "work/sub" })).stdout,
      `${h.agent.dataDir}/work/sub\n`,
    );
    assert.equal(
      (await h.ok<ExecOutput>("exec", { command: "pwd", work_dir: ` ${h.agent.dataDir}/work ` })).stdout,
      `${h.agent.dataDir}/work\n`,
    );
  });

  it("reports a missing work_dir as a tool error", async () => {
    assert.match(await h.fails("exec", { command: "pwd", work_dir: "no/such/dir" }), /no such file or directory/);
  });

  it("refuses a command with a NUL byte or past the kernel's argument limit, naming why; a long one under it runs", async () => {
    assert.equal(await h.fails("exec", { command: "echo a\0b" }), "invalid command: it must not contain NUL bytes");
    assert.match(
      await h.fails("exec", { command: `: ${"x".repeat(128 * 1024)}` }),
      /^invalid command: it is longer than 131071 bytes, the kernel's limit for one argument/,
    );
    // The tool wraps a command in a small job script, so one near the limit is what runs, not one at it.
    const long = `echo ran; : ${"x".repeat(100 * 1024)}`;
    assert.equal((await h.ok("exec", { command: long })).stdout, "ran\n");
  });

  it("leaves no job files behind for a command that finished in time", async () => {
    await h.ok("exec", { command: "echo tidy; echo up >&2" });
    const jobsDir = path.join(h.agent.dataDir, ".botbox/jobs");
    // The wrapper removes its files after it answered; give that a moment.
    for (let attempt = 0; attempt < 50; attempt++) {
      if ((await readdir(jobsDir)).length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(await readdir(jobsDir), []);
  });

  it("prunes long output, stdout and stderr separately", async () => {
    const result = await h.ok<ExecOutput>("exec", { command: "seq 1 300; seq 1 10 >&2" });
    const bytes = Buffer.byteLength(Array.from({ length: 300 }, (_, i) => `${i + 1}\n`).join(""));
    const head = Array.from({ length: 150 }, (_, i) => `${i + 1}`).join("\n");
    const tail = Array.from({ length: 49 }, (_, i) => `${i + 252}\n`).join("");
    assert.equal(
      result.stdout,
      `[memoh pruned] tool result (exec stdout) too long (bytes=${bytes}, lines=301), showing head/tail\n\n${head}\n\n[...snip...]\n\n${tail}`,
    );
    assert.equal(result.stderr, "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n");
  });

  it("prunes at the limits: 10 KiB is kept, one byte more is pruned", async () => {
    const exact = await h.ok<ExecOutput>("exec", { command: "head -c 10240 /dev/zero | tr '\\0' x" });
    assert.equal(exact.stdout, "x".repeat(10240));
    const over = await h.ok<ExecOutput>("exec", { command: "head -c 10241 /dev/zero | tr '\\0' x >&2" });
    assert.equal(
      over.stderr,
      `[memoh pruned] tool result (exec stderr) too long (bytes=10241, lines=1), showing head/tail\n\n${"x".repeat(4096)}\n\n[...snip...]\n\n${"x".repeat(1024)}`,
    );
    const lines250 = await h.ok<ExecOutput>("exec", { command: "seq 1 249" });
    assert.doesNotMatch(lines250.stdout, /pruned/);
    const lines251 = await h.ok<ExecOutput>("exec", { command: "seq 1 250" });
    assert.match(lines251.stdout, /^\[memoh pruned\] .* \(bytes=\d+, lines=251\)/);
  });

  it("never splits a multi-byte character when pruning", async () => {
    const result = await h.ok<ExecOutput>("exec", {
      command: "i=0; while [ $i -lt 4000 ]; do printf '\\342\\202\\254'; i=$((i+1)); done",
    });
    assert.ok(!result.stdout.includes("\ufffd"));
    assert.ok(result.stdout.includes(`\n\n${"\u20ac".repeat(1365)}\n\n[...snip...]\n\n${"\u20ac".repeat(341)}`));
  });

  it("checks the timeout argument against its bounds", async () => {
    const range = "must be between 1 and 120 seconds";
    assert.equal(await h.fails("exec", { command: "true", timeout: 0 }), `invalid timeout: ${range}, got 0`);
    assert.equal(await h.fails("exec", { command: "true", timeout: 121 }), `invalid timeout: ${range}, got 121`);
    assert.equal(await h.fails("exec", { command: "true", timeout: -5 }), `invalid timeout: ${range}, got -5`);
    assert.equal(await h.fails("exec", { command: "true", timeout: "10" }), "invalid timeout: must be a number");
    assert.match(await h.fails("exec", { command: "true", timeout: 5, background: true }), /^invalid timeout: /);
    assert.equal(
      await h.fails("exec", { command: "true", background: "yes" }),
      "invalid background: must be a boolean",
    );
    assert.equal(await h.fails("exec", { command: "   " }), "command is required");
    assert.equal(await h.fails("exec", { command: "true", work_dir: 5 }), "invalid work_dir: must be a string");
    assert.deepEqual(await h.ok("exec", { command: "true", timeout: 120 }), { stdout: "", stderr: "", exit_code: 0 });
    assert.deepEqual(await h.ok("exec", { command: "true", timeout: 1.5 }), { stdout: "", stderr: "", exit_code: 0 });
  });

  it("refuses an exec timeout configuration that makes no sense", () => {
    for (const execTimeout of [
      { defaultSeconds: 0, maxSeconds: 10 },
      { defaultSeconds: 20, maxSeconds: 10 },
      { defaultSeconds: 1.5, maxSeconds: 10 },
    ]) {
      assert.throws(() => new ContainerTools({ clients: async () => h.client, execTimeout }), RangeError);
    }
  });

  it("kills a command at its timeout when move-to-background is off", async () => {
    const started = Date.now();
    const result = await plain.callTool("bot", "exec", { command: "echo begun; sleep 30", timeout: 1 });
    assert.notEqual(result.isError, true);
    assert.deepEqual(result.structuredContent, { stdout: "begun\n", stderr: "", exit_code: 137 });
    assert.ok(Date.now() - started < 20_000);
    assert.match(plain.listTools().find((tool) => tool.name === "exec")!.description!, /is killed/);
  });

  it("without move-to-background gives the same result shape", async () => {
    const result = await plain.callTool("bot", "exec", { command: "echo a; echo b >&2; exit 4" });
    assert.deepEqual(result.structuredContent, { stdout: "a\n", stderr: "b\n", exit_code: 4 });
    assert.equal(textOf(result), JSON.stringify(result.structuredContent));
  });
  describe("output far larger than pruning shows", () => {
    // 2,500,000 lines of 20 bytes: 50,000,000 bytes, and lines = newlines + 1.
    const command = "yes 0123456789abcdefghi | head -c 50000000; echo done >&2";
    const line = "0123456789abcdefghi";
    const expectedStdout = [
      "[memoh pruned] tool result (exec stdout) too long (bytes=50000000, lines=2500001), showing head/tail",
      "",
      Array(150).fill(line).join("\n"),
      "",
      "[...snip...]",
      "",
      Array(49).fill(`${line}\n`).join(""),
    ].join("\n");

    /** Runs a call while sampling this (the host) process's resident memory; returns the growth. */
    async function rssGrowth<T>(run: () => Promise<T>): Promise<{ value: T; growth: number }> {
      const before = process.memoryUsage().rss;
      let peak = before;
      const timer = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 10);
      try {
        const value = await run();
        peak = Math.max(peak, process.memoryUsage().rss);
        return { value, growth: peak - before };
      } finally {
        clearInterval(timer);
      }
    }

    for (const [name, tools] of [
      ["through the job wrapper", () => h.tools],
      ["through a plain exec", () => plain],
    ] as const) {
      it(`prunes ~50 MB of output ${name} with the whole output's counts, in bounded host memory`, async () => {
        const { value: result, growth } = await rssGrowth(() => tools().callTool(h.agent.botId, "exec", { command }));
        assert.notEqual(result.isError, true, textOf(result));
        assert.deepEqual(result.structuredContent, { stdout: expectedStdout, stderr: "done\n", exit_code: 0 });
        assert.ok(growth < 100 * 1024 * 1024, `host RSS grew by ${Math.round(growth / 1024 / 1024)} MB`);
      });
    }
  });
});
