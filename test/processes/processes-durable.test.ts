// What the process routes promise beyond one request: a process outlives a
// restart of the host server with no output lost, and a client that never
// reads its output costs the server a bounded amount of memory.
import assert from "node:assert/strict";
import { readFile, rm } from "node:fs/promises";
import { get as httpGet, type IncomingMessage } from "node:http";
import { after, describe, it } from "node:test";

import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { addBots } from "../support/bots.js";
import { assertCountedThrough, outputBytes, outputEvents, processesRoute, startProcess } from "./support.js";

const BOT = "proc-durable";

async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)![1]) * 1024;
}

describe("durable processes", { timeout: 300_000 }, () => {
  let server: BotboxServer | undefined;

  after(async () => {
    if (!server) return;
    await server.api("DELETE", `/bots/${BOT}`);
    await server.stop();
    await rm(server.home, { recursive: true, force: true });
  });

  it("a process outlives the host server's restart and no line is lost", async () => {
    server = await startBotboxServer();
    await addBots(server, [BOT]);
    const lines = 800;
    const started = await startProcess(server, BOT, {
      command: `for i in $(seq 1 ${lines}); do echo line $i; sleep 0.01; done`,
      tag: "through-restart",
    });
    // A reader following when the server stops is ended at once, told where to resume.
    const followed = outputEvents(server, BOT, started.id, "since=0&follow=true");
    await new Promise((resolve) => setTimeout(resolve, 500));
    const home = server.home;
    const stopping = Date.now();
    await server.stop();
    assert.ok(Date.now() - stopping < 10_000, `the stop took ${Date.now() - stopping} ms`);
    const cut = await followed;
    const ending = cut.at(-1)!;
    assert.equal(ending.type, "error", JSON.stringify(ending));
    assert.equal(ending.code, "unavailable");
    assert.equal(ending.since, outputBytes(cut).byteLength);
    assert.match(ending.message, new RegExp(`since=${ending.since}`));
    // Written while no server ran: the keeper, not the server, holds the output.
    server = await startBotboxServer({ home });
    const during = await server.api("GET", processesRoute(BOT, `/${started.id}`));
    assert.equal(during.status, 200, JSON.stringify(during.body));
    assert.equal(during.body.status, "running", "still writing after the restart, so the test spans it");
    assert.ok(during.body.output_bytes > 0, "it wrote before the restart");
    await assertCountedThrough(server, BOT, started.id, lines, cut);
  });

  it("a reader that never reads holds the server's memory while 64 MiB are written", async () => {
    assert.ok(server, "the server of the test before");
    const size = 64 * 2 ** 20;
    const writer = await startProcess(server, BOT, {
      command: `sleep 1; yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c ${size}`,
    });
    const before = await residentBytes(server.child.pid!);
    const stalled = await new Promise<IncomingMessage>((resolve, reject) => {
      const request = httpGet(
        `${server!.url}${processesRoute(BOT, `/${writer.id}/output?since=0&follow=true`)}`,
        { headers: { authorization: `Bearer ${server!.adminToken}` } },
        resolve,
      );
      request.on("error", reject);
    });
    assert.equal(stalled.statusCode, 200);
    stalled.pause();
    const waited = await server.api("POST", processesRoute(BOT, `/${writer.id}/wait?timeout=120`));
    assert.equal(waited.body.status, "exited", "the writer finished while its reader stalled");
    assert.equal(waited.body.output_bytes, size);
    const grown = (await residentBytes(server.child.pid!)) - before;
    console.log(`server RSS grew by ${(grown / 2 ** 20).toFixed(1)} MiB while 64 MiB went to a stalled reader`);
    assert.ok(grown < 32 * 2 ** 20, `server RSS grew by ${grown} bytes`);
    // The stalled reader still gets output once it reads: it was held, not dropped on the floor.
    const first = await new Promise<Buffer>((resolve) => {
      stalled.once("data", resolve);
      stalled.resume();
    });
    assert.ok(first.byteLength > 0);
    stalled.destroy();
  });
});
