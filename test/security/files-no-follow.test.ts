// ReadRawNoFollow and WriteRawNoFollow against a real agent process: a
// symbolic link anywhere on the way is refused (ForbiddenError, the host's
// 403), where ReadRaw and WriteRaw, which follow links, reach the link's
// target with the same path (so each test can fail). Bounded: small files,
// one agent, a swap race of a few hundred rounds.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { rename, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { ContainerServiceDefinition, ContainerServiceFastClient } from "@botbox/proto";
import { credentials, Server, ServerCredentials, status } from "@grpc/grpc-js";

import { AgentClient } from "../../packages/server/src/client/index.js";
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from "../../packages/server/src/errors.js";
import type { AgentProcess } from "../support/agent-process.js";
import { stopAgentWithClient } from "../support/agent-with-client.js";
import { sharedAgentWithClient } from "../support/shared-agent.js";

const text = async (stream: AsyncIterable<Buffer>) => {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts).toString();
};

describe("no-follow raw reads and writes", { timeout: 60_000 }, () => {
  let agent: AgentProcess;
  let client: AgentClient;
  let outside: string;
  const inData = (...parts: string[]) => path.join(agent.dataDir, ...parts);

  before(async () => {
    ({ agent, client } = await sharedAgentWithClient({ transport: "unix" }));
    outside = mkdtempSync(path.join(tmpdir(), "botbox-nofollow-outside-"));
    writeFileSync(path.join(outside, "secret"), "outside secret\n");
    mkdirSync(inData("media", "ab"), { recursive: true });
    writeFileSync(inData("media", "ab", "file.txt"), "inside\n");
    symlinkSync(path.join(outside, "secret"), inData("media", "ab", "link.txt"));
    symlinkSync(outside, inData("media", "escape"));
  });

  after(async () => {
    await stopAgentWithClient({ agent, client });
    if (outside) rmSync(outside, { recursive: true, force: true });
  });

  it("reads a regular file under the data folder", async () => {
    assert.equal(await text(await client.readRawNoFollow("", "media/ab/file.txt")), "inside\n");
    assert.equal(await text(await client.readRawNoFollow(agent.dataDir, "media/ab/file.txt")), "inside\n");
  });

  it("refuses a link as the last component, which ReadRaw follows", async () => {
    assert.equal(await text(await client.readRaw("media/ab/link.txt")), "outside secret\n", "the link works");
    await assert.rejects(client.readRawNoFollow("", "media/ab/link.txt"), (error: Error) => {
      assert.ok(error instanceof ForbiddenError, String(error));
      assert.match(error.message, /symbolic link/);
      return true;
    });
  });

  it("refuses a link as a folder on the way, and as the root", async () => {
    assert.equal(await text(await client.readRaw("media/escape/secret")), "outside secret\n", "the link works");
    await assert.rejects(client.readRawNoFollow("", "media/escape/secret"), ForbiddenError);
    await assert.rejects(client.readRawNoFollow(inData("media", "escape"), "secret"), ForbiddenError);
  });

  it("refuses paths that climb, are absolute, unclean or hold NUL with a BadRequestError", async () => {
    for (const bad of ["../etc/passwd", "media/../../x", "/etc/passwd", "media//ab/file.txt", "./media", "", "a\0b"]) {
      await assert.rejects(client.readRawNoFollow("", bad), BadRequestError, JSON.stringify(bad));
      await assert.rejects(client.writeRawNoFollow("", bad, "x"), BadRequestError, JSON.stringify(bad));
    }
  });

  it("has the agent itself refuse such paths, whatever the client checks", async () => {
    const raw = new ContainerServiceFastClient(`unix://${agent.socketPath!}`, credentials.createInsecure());
    try {
      for (const relativePath of ["../etc/passwd", "/etc/passwd", "a/./b", "a//b", ""]) {
        const code = await new Promise<number>((resolve) => {
          const call = raw.readRawNoFollow({ root: "", relativePath });
          call.on("data", () => resolve(-1));
          call.on("end", () => resolve(0));
          call.on("error", (error: { code: number }) => resolve(error.code));
        });
        assert.equal(code, status.INVALID_ARGUMENT, JSON.stringify(relativePath));
      }
    } finally {
      raw.close();
    }
  });

  it("refuses a FIFO without waiting for a writer, and a folder", async () => {
    execFileSync("mkfifo", [inData("media", "pipe")]);
    await assert.rejects(client.readRawNoFollow("", "media/pipe"), ForbiddenError);
    await assert.rejects(client.readRawNoFollow("", "media/ab"), BadRequestError);
    await assert.rejects(client.readRawNoFollow("", "media/none"), NotFoundError);
  });

  it("creates a file and its folders, and replaces one only when asked", async () => {
    assert.equal(await client.writeRawNoFollow("", "media/new/deep/a.bin", "first"), 5);
    assert.equal(readFileSync(inData("media", "new", "deep", "a.bin"), "utf8"), "first");
    await assert.rejects(client.writeRawNoFollow("", "media/new/deep/a.bin", "second"), ConflictError);
    assert.equal(await client.writeRawNoFollow("", "media/new/deep/a.bin", "second", { replace: true }), 6);
    assert.equal(readFileSync(inData("media", "new", "deep", "a.bin"), "utf8"), "second");
    assert.deepEqual(readdirSync(inData("media", "new", "deep")), ["a.bin"], "no temporary file is left");
  });

  it("never writes through a link, where WriteRaw does", async () => {
    await assert.rejects(
      client.writeRawNoFollow("", "media/ab/link.txt", "overwritten", { replace: true }),
      ForbiddenError,
    );
    await assert.rejects(client.writeRawNoFollow("", "media/escape/planted", "planted"), ForbiddenError);
    assert.equal(readFileSync(path.join(outside, "secret"), "utf8"), "outside secret\n");
    assert.deepEqual(readdirSync(outside), ["secret"]);
    assert.ok(lstatSync(inData("media", "ab", "link.txt")).isSymbolicLink(), "the link is left as it was");
    // The following call, on the same path, reaches the outside folder.
    await client.writeRaw("media/escape/planted", "planted");
    assert.deepEqual(readdirSync(outside).sort(), ["planted", "secret"]);
    await rm(path.join(outside, "planted"));
  });

  it("fails with a clear error, never following instead, against an agent that predates the calls", async () => {
    // A gRPC server with the service and none of its methods answers
    // UNIMPLEMENTED, as an agent built before these calls does.
    const old = new Server();
    old.addService(ContainerServiceDefinition, {} as never);
    const port = await new Promise<number>((resolve, reject) =>
      old.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    const oldClient = new AgentClient({ address: `127.0.0.1:${port}` });
    try {
      await assert.rejects(oldClient.readRawNoFollow("", "media/x"), /predates this server; rebuild it/);
      await assert.rejects(oldClient.writeRawNoFollow("", "media/x", "data"), /predates this server; rebuild it/);
    } finally {
      oldClient.close();
      old.forceShutdown();
    }
  });

  it("answers a write through a link into a missing /proc entry instead of spinning forever", async () => {
    // Node's recursive mkdir never returned for such a folder; a bot can point a link there.
    symlinkSync("/proc/999999999/root/data/secret", inData("into-proc"));
    const started = Date.now();
    await assert.rejects(client.writeFile("into-proc", "x", { timeoutMs: 10_000 }), /no such file or directory/);
    await assert.rejects(client.mkdir("/proc/999999999/root/x", { timeoutMs: 10_000 }), /no such file or directory/);
    assert.ok(Date.now() - started < 5_000);
  });

  it("never reads outside while a folder on the way is swapped for a link", async () => {
    // The race a check-then-open would lose: the folder flips between a real
    // one and a link to the outside folder while reads run.
    const racy = inData("race");
    mkdirSync(path.join(racy, "real"), { recursive: true });
    writeFileSync(path.join(racy, "real", "secret"), "inside\n");
    await symlink(outside, path.join(racy, "fake"));
    let swapping = true;
    const swapper = (async () => {
      while (swapping) {
        await rename(path.join(racy, "real"), path.join(racy, "held"));
        await rename(path.join(racy, "fake"), path.join(racy, "real"));
        await rename(path.join(racy, "real"), path.join(racy, "fake"));
        await rename(path.join(racy, "held"), path.join(racy, "real"));
      }
    })();
    const seen = new Map<string, number>();
    try {
      for (let round = 0; round < 300; round++) {
        const outcome = await client.readRawNoFollow("", "race/real/secret").then(
          (stream) => text(stream),
          (error: Error) => error.constructor.name,
        );
        seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
      }
    } finally {
      swapping = false;
      await swapper;
    }
    assert.equal(seen.get("outside secret\n"), undefined, `read outside: ${JSON.stringify([...seen])}`);
    assert.ok((seen.get("inside\n") ?? 0) > 0, `never read the real file: ${JSON.stringify([...seen])}`);
    assert.ok((seen.get("ForbiddenError") ?? 0) > 0, `the swap never showed: ${JSON.stringify([...seen])}`);
  });
});
