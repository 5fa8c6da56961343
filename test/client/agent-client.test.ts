import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";

import { AgentClient, type ExecEvent } from "../../packages/server/src/client/index.js";
import {
  AgentError,
  BadRequestError,
  NotFoundError,
  UnauthenticatedError,
  UnavailableError,
} from "../../packages/server/src/errors.js";
import type { AgentProcess } from "../support/agent-process.js";
import { stopAgentWithClient } from "../support/agent-with-client.js";
import { SHARED_AGENT_TOKEN, sharedAgentWithClient } from "../support/shared-agent.js";

for (const transport of ["unix", "tcp"] as const) {
  describe(`AgentClient over ${transport}`, () => {
    let agent: AgentProcess;
    let client: AgentClient;

    before(async () => {
      ({ agent, client } = await sharedAgentWithClient({ transport, token: SHARED_AGENT_TOKEN }));
    });
    after(() => stopAgentWithClient({ agent, client }));

    it("reports the agent's identity through Info", async () => {
      const info = await client.info();
      assert.equal(info.botId, agent.botId);
      assert.equal(info.dataDir, agent.dataDir);
      assert.match(info.agentVersion, /^\d+\.\d+\.\d+/);
      assert.match(info.startedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
    });

    it("writes, reads a page, lists, stats, renames and deletes", async () => {
      await client.writeFile("notes/a.txt", "one\ntwo\nthree\n");
      const page = await client.readFile("notes/a.txt", { lineOffset: 2, lineCount: 1 });
      assert.deepEqual(page, { content: "     2\ttwo\n", totalLines: 3, binary: false });
      const entries = await client.listDir("notes");
      assert.deepEqual(
        entries.map((entry) => [entry.path, entry.isDir, entry.size, entry.mode]),
        [["a.txt", false, 14, "-rw-r--r--"]],
      );
      assert.equal((await client.stat("notes/a.txt")).size, 14);
      await client.rename("notes/a.txt", "moved/deep/b.txt");
      assert.equal(await readFile(path.join(agent.dataDir, "moved/deep/b.txt"), "utf8"), "one\ntwo\nthree\n");
      await client.mkdir("empty/dir");
      assert.equal((await client.stat("empty/dir")).isDir, true);
      await client.deleteFile("moved", { recursive: true });
      await assert.rejects(client.stat("moved/deep/b.txt"), NotFoundError);
    });

    it("maps errors of unary calls to typed errors", async () => {
      await assert.rejects(client.readFile("missing.txt"), (error: unknown) => {
        assert.ok(error instanceof NotFoundError);
        assert.match(error.message, /^not found: open .*missing\.txt: no such file or directory$/);
        return true;
      });
      await assert.rejects(client.stat(""), BadRequestError);
      await assert.rejects(client.rename("", "x"), BadRequestError);
      await client.writeFile("plain-file", "x");
      await assert.rejects(
        client.mkdir("plain-file"),
        (error: unknown) => error instanceof AgentError && error.grpcCode === "INTERNAL",
      );
    });

    it("exec returns stdout, stderr and the exit code, with stdin closed after it is sent", async () => {
      const result = await client.exec("cat; echo oops >&2; exit 7", { stdin: "from stdin\n" });
      assert.deepEqual(result, { stdout: "from stdin\n", stderr: "oops\n", exitCode: 7 });
    });

    it("exec passes env and work dir, relative to the data folder", async () => {
      await client.mkdir("work");
      const result = await client.exec('printf "%s %s" "$GREETING" "$(pwd)"', {
        env: { GREETING: "hi there" },
        workDir: "work",
      });
      assert.equal(result.stdout, `hi there ${path.join(agent.dataDir, "work")}`);
    });

    it("exec rejects bad input before sending it", () => {
      assert.throws(() => client.execStream(""), BadRequestError);
      assert.throws(() => client.execStream("true", { env: { "A=B": "x" } }), BadRequestError);
      assert.throws(() => client.execStream("true", { timeoutSeconds: 1.5 }), BadRequestError);
    });

    it("execStream sends stdin as it goes and yields output before the command ends", async () => {
      const handle = client.execStream('while read line; do echo "got $line"; done; echo bye >&2', {
        timeoutSeconds: 10,
      });
      const events = handle[Symbol.asyncIterator]();
      await handle.sendStdin("first\n");
      const firstOutput = await events.next();
      assert.deepEqual(firstOutput.value, { type: "stdout", data: Buffer.from("got first\n") });
      await handle.sendStdin("second\n");
      handle.closeStdin();
      const rest: ExecEvent[] = [];
      for (let next = await events.next(); !next.done; next = await events.next()) rest.push(next.value);
      assert.deepEqual(rest, [
        { type: "stdout", data: Buffer.from("got second\n") },
        { type: "stderr", data: Buffer.from("bye\n") },
        { type: "exit", exitCode: 0 },
      ]);
    });

    it("execStream cancel kills the command and ends iteration with an error", async () => {
      const handle = client.execStream("echo started; sleep 30", { timeoutSeconds: -1 });
      const events = handle[Symbol.asyncIterator]();
      assert.equal((await events.next()).value?.type, "stdout");
      const started = Date.now();
      handle.cancel();
      await assert.rejects(events.next());
      assert.ok(Date.now() - started < 2000);
    });

    it("readRaw fails eagerly with NotFoundError for a missing file", async () => {
      await assert.rejects(client.readRaw("nope.bin"), NotFoundError);
      await assert.rejects(client.readRaw(""), BadRequestError);
    });

    it("writeRaw then readRaw round-trips bytes from a Readable", async () => {
      const data = Buffer.alloc(3 * 65536 + 123);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 251;
      const written = await client.writeRaw(
        "blobs/data.bin",
        Readable.from([data.subarray(0, 1000), data.subarray(1000)]),
      );
      assert.equal(written, data.length);
      const stream = await client.readRaw("blobs/data.bin");
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      assert.ok(Buffer.concat(chunks).equals(data));
      assert.ok(chunks.every((chunk) => chunk.length <= 65536));
    });

    it("writeRaw of an empty source creates an empty file", async () => {
      assert.equal(await client.writeRaw("empty.txt", Readable.from([])), 0);
      assert.equal((await readFile(path.join(agent.dataDir, "empty.txt"))).length, 0);
      const stream = await client.readRaw("empty.txt");
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      assert.equal(chunks.length, 0);
    });

    it("writeRaw keeps the old file when the source fails midway", async () => {
      await writeFile(path.join(agent.dataDir, "keep.txt"), "old content");
      const temporaryFiles = async () => (await readdir(agent.dataDir)).filter((name) => name.includes(".botbox-"));
      async function* failing() {
        yield Buffer.alloc(70_000, 1);
        // Fail only once the agent has begun its temporary file, so the test sees it cleaned up.
        await until(async () => (await temporaryFiles()).length > 0, "the agent's temporary file");
        throw new Error("source broke");
      }
      await assert.rejects(client.writeRaw("keep.txt", failing()), /source broke/);
      assert.equal(await readFile(path.join(agent.dataDir, "keep.txt"), "utf8"), "old content");
      // The agent removes its temporary file once it sees the cancel, which reaches it after our error.
      await until(async () => (await temporaryFiles()).length === 0, "the temporary file's removal");
    });

    it("a wrong token is rejected with UnauthenticatedError on every kind of call", async () => {
      const intruder = new AgentClient({ address: agent.address, token: "wrong" });
      try {
        await assert.rejects(intruder.info(), UnauthenticatedError);
        await assert.rejects(intruder.readRaw("x"), UnauthenticatedError);
        await assert.rejects(intruder.writeRaw("x", "data"), UnauthenticatedError);
        await assert.rejects(intruder.exec("true"), UnauthenticatedError);
      } finally {
        intruder.close();
      }
    });
  });
}

describe("AgentClient without an agent", () => {
  it("reports an unreachable agent as UnavailableError on unary and streaming calls", async () => {
    const client = new AgentClient({ address: "unix:/nonexistent/botbox/agent.sock" });
    try {
      await assert.rejects(client.info(), UnavailableError);
      await assert.rejects(client.readRaw("a"), UnavailableError);
      await assert.rejects(client.exec("true"), UnavailableError);
      await assert.rejects(client.writeRaw("a", "x"), UnavailableError);
    } finally {
      client.close();
    }
  });

  it("rejects an address gRPC would misread", () => {
    assert.throws(() => new AgentClient({ address: "fe80::1:9090" }), BadRequestError);
    assert.throws(() => new AgentClient({ address: "unix:relative.sock" }), BadRequestError);
  });
});

/**
 * Looks at a condition of the agent's data folder until it holds, for at most
 * `timeoutMs`: the agent is another process and says nothing when it has
 * written or removed a file, so looking is the signal there is.
 */
async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
