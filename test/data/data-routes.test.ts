import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import Fastify, { type FastifyInstance } from "fastify";

import type { AgentClient } from "../../packages/server/src/client/index.js";
import { errorResponse } from "../../packages/server/src/http/error-status.js";
import { type AnyRoute } from "../../packages/server/src/http/route.js";
import { dataRoutes } from "../../packages/server/src/http/routes/data.js";
import type { AgentProcess } from "../support/agent-process.js";
import { stopAgentWithClient } from "../support/agent-with-client.js";
import { SHARED_AGENT_TOKEN, sharedAgentWithClient } from "../support/shared-agent.js";
import { tarGz } from "./support.js";

const LIMIT = 64 * 1024;

// The import route's own limits, on a bare app with a real agent behind it
// (the full server's limit is 10 GiB, too large to cross in a test).
describe("the import route's body and unpacked limits and one-import-at-a-time rule", () => {
  let agent: AgentProcess;
  let client: AgentClient;
  let app: FastifyInstance;
  let url: string;
  let scratch: string;
  /** Called when a route asks for the bot's agent: an import has then claimed its bot. */
  let onAgentAsked: (() => void) | undefined;

  before(async () => {
    ({ agent, client } = await sharedAgentWithClient({ token: SHARED_AGENT_TOKEN }));
    scratch = await mkdtemp(path.join(tmpdir(), "botbox-data-routes-"));
    app = Fastify();
    // Stands in for the auth hook: every request acts as the admin.
    app.addHook("onRequest", async (request) => {
      request.principal = { kind: "admin" };
    });
    // Like the app's: Fastify's own errors keep their status, botbox's go through the table.
    app.setErrorHandler((error, _request, reply) => {
      const fastifyStatus = (error as { statusCode?: number }).statusCode;
      if (fastifyStatus) return reply.status(fastifyStatus).send({ error: { message: (error as Error).message } });
      const { status, body } = errorResponse(error);
      return reply.status(status).send(body);
    });
    const routes: AnyRoute[] = [];
    const agentFor = async () => {
      onAgentAsked?.();
      return client;
    };
    dataRoutes(app, routes, { agentFor }, { importLimitBytes: LIMIT });
    url = await app.listen({ host: "127.0.0.1", port: 0 });
  });
  after(async () => {
    await app.close();
    await stopAgentWithClient({ agent, client });
    await rm(scratch, { recursive: true, force: true });
  });

  const post = (body: Buffer | ReadableStream<Uint8Array>, headers: Record<string, string> = {}) =>
    fetch(`${url}/bots/any/container/import`, {
      method: "POST",
      headers: { "content-type": "application/gzip", ...headers },
      body,
      duplex: "half",
    } as RequestInit);

  /** A request body that sends `first`, then waits for release() before sending the rest. */
  function heldBody(first: Buffer, rest: Buffer) {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(first);
        await released;
        controller.enqueue(rest);
        controller.close();
      },
    });
    return { stream, release };
  }

  it("answers 413 for a declared or a streamed body over the limit, without reading it all, and changes nothing", async () => {
    const incoming = await mkdtemp(path.join(scratch, "big-"));
    await writeFile(path.join(incoming, "noise.bin"), randomBytes(8 * 2 ** 20));
    const archive = tarGz(incoming);
    const declared = await post(archive);
    assert.equal(declared.status, 413);
    const { error } = (await declared.json()) as { error: { message: string } };
    assert.match(error.message, /larger than the import limit of 65536 bytes/);
    // Chunked, so only counting finds out; the answer still reaches the client.
    const streamed = await post(
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let offset = 0; offset < archive.length; offset += 65536) {
            controller.enqueue(archive.subarray(offset, offset + 65536));
          }
          controller.close();
        },
      }),
    );
    assert.equal(streamed.status, 413);
    assert.equal(streamed.headers.get("connection"), "close");
    assert.deepEqual(await readdir(agent.dataDir), []);
  });

  it("answers 413 for an archive that unpacks past the limit, however small it is, and changes nothing", async () => {
    const before = await readdir(agent.dataDir);
    const incoming = await mkdtemp(path.join(scratch, "bomb-"));
    // 8 MiB of zeros: a few KiB of gzip, well under the 64 KiB limit as sent.
    await writeFile(path.join(incoming, "zeros.bin"), Buffer.alloc(8 * 2 ** 20));
    const archive = tarGz(incoming);
    assert.ok(archive.length < LIMIT, `the archive is ${archive.length} bytes`);
    const response = await post(archive);
    assert.equal(response.status, 413);
    const { error } = (await response.json()) as { error: { message: string } };
    assert.match(error.message, /unpacks to more than 65536 bytes, the import limit/);
    assert.deepEqual(await readdir(agent.dataDir), before, "no work folder or file is left behind");
  });

  it("counts a sparse file at its full size", async () => {
    const before = await readdir(agent.dataDir);
    const incoming = await mkdtemp(path.join(scratch, "sparse-"));
    // 256 MiB of hole: tar --sparse stores almost nothing, extraction writes all of it.
    execFileSync("truncate", ["-s", String(256 * 2 ** 20), path.join(incoming, "hole.bin")]);
    for (const format of ["gnu", "posix"]) {
      const archive = tarGz(incoming, ["."], ["--sparse", `--format=${format}`]);
      assert.ok(archive.length < LIMIT, `the ${format} archive is ${archive.length} bytes`);
      const response = await post(archive);
      assert.equal(response.status, 413, `${format} format`);
    }
    assert.deepEqual(await readdir(agent.dataDir), before);
  });

  it("refuses a second import into the same bot while one runs with 409", async () => {
    const incoming = await mkdtemp(path.join(scratch, "small-"));
    await writeFile(path.join(incoming, "hello.txt"), "hello");
    const archive = tarGz(incoming);
    const { stream, release } = heldBody(archive.subarray(0, 10), archive.subarray(10));
    const claimed = new Promise<void>((resolve) => (onAgentAsked = resolve));
    const first = post(stream);
    // The first import has claimed the bot, and waits for the rest of its body.
    await claimed;
    onAgentAsked = undefined;
    const second = await post(archive);
    assert.equal(second.status, 409);
    release();
    assert.equal((await first).status, 200);
    assert.deepEqual(await readdir(agent.dataDir), ["hello.txt"]);
  });
});
