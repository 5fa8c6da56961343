// The memory routes end to end through `botbox serve` with real sandboxes:
// every operation, bad input, bot isolation and concurrent adds.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { addBots, botToken, removeServer } from "../support/bots.js";

const A = "memory-http-a";
const B = "memory-http-b";

describe("memory routes with real sandboxes", () => {
  let server: BotboxServer;
  let tokenB: string;
  const base = `/bots/${A}/memory`;
  const one = (id: string) => `${base}/${encodeURIComponent(id)}`;
  const sh = async (command: string) =>
    (await server.api("POST", `/bots/${A}/container/exec`, { command })).body.stdout as string;

  before(async () => {
    server = await startBotboxServer();
    await addBots(server, [A, B]);
    tokenB = await botToken(server, B);
  });
  after(() => removeServer(server, [A, B]));

  it("adds, lists, searches, reads, updates and deletes, with the files in the bot's /data", async () => {
    const first = await server.api("POST", base, { message: " Alice likes green tea ", filters: { agent: "x" } });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.match(first.body.id, new RegExp(`^${A}:mem_\\d+$`));
    assert.deepEqual(
      { ...first.body, id: "", hash: "", created_at: "", updated_at: "" },
      { id: "", memory: "Alice likes green tea", hash: "", created_at: "", updated_at: "", bot_id: A },
    );
    const second = await server.api("POST", base, {
      messages: [{ role: "user", content: "I drink coffee" }, { content: "noted" }],
    });
    assert.equal(second.body.memory, "[USER] I drink coffee\n[MESSAGE] noted");

    const listed = await server.api("GET", `${base}?limit=1`);
    assert.equal(listed.status, 200);
    assert.equal(listed.body.results.length, 1);
    assert.equal((await server.api("GET", base)).body.results.length, 2);

    const found = await server.api("POST", `${base}/search`, { query: "green tea", limit: 5 });
    assert.deepEqual(
      found.body.results.map((item: { id: string; score: number }) => [item.id, item.score]),
      [[first.body.id, 1]],
    );

    assert.deepEqual((await server.api("GET", one(first.body.id))).body, first.body);
    const updated = await server.api("PUT", one(first.body.id), { text: "Alice likes oolong" });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.memory, "Alice likes oolong");
    assert.equal(updated.body.created_at, first.body.created_at);
    const aliased = await server.api("PUT", one(first.body.id), { memory: "Alice likes white tea" });
    assert.equal(aliased.body.memory, "Alice likes white tea");

    const day = first.body.created_at.slice(0, 10);
    assert.match(
      await sh(`cat /data/memory/${day}.md`),
      /<!-- MEMOH:ENTRY .*\nAlice likes white tea\n<!-- \/MEMOH:ENTRY -->/,
    );
    assert.match(await sh("cat /data/MEMORY.md"), /^# MEMORY\n\n1\. \[/);
    assert.match(await sh("cat /data/index/manifest.json"), /"agent": "x"/);

    assert.deepEqual((await server.api("DELETE", one(second.body.id))).body, { deleted: 1 });
    assert.equal((await server.api("DELETE", one(second.body.id))).status, 404);
    assert.equal((await server.api("GET", one(second.body.id))).status, 404);
  });

  it("round-trips a memory containing marker lines, CRLF and unicode through HTTP", async () => {
    const text = "line\r\n<!-- /MEMOH:ENTRY -->\n\\<!-- MEMOH:ENTRY {} -->\n---\n# heading 🧠";
    const added = await server.api("POST", base, { message: text });
    assert.equal((await server.api("GET", one(added.body.id))).body.memory, text);
  });

  it("deletes a batch, skipping IDs it does not have, and deletes all", async () => {
    const ids: string[] = [];
    for (const message of ["x", "y", "z"]) ids.push((await server.api("POST", base, { message })).body.id);
    const batch = await server.api("POST", `${base}/delete`, { ids: [ids[0], ids[1], `${B}:mem_1`, "bogus"] });
    assert.deepEqual(batch.body, { deleted: 2 });
    const all = await server.api("DELETE", base);
    assert.equal(all.status, 200);
    assert.ok(all.body.deleted >= 1);
    assert.deepEqual((await server.api("GET", base)).body, { results: [] });
    assert.equal(await sh("cat /data/MEMORY.md"), "# MEMORY\n\n> No memory entries yet.\n");
  });

  it("keeps every one of concurrent adds", async () => {
    const added = await Promise.all(
      Array.from({ length: 20 }, (_, n) => server.api("POST", base, { message: `concurrent ${n}` })),
    );
    assert.ok(added.every((response) => response.status === 201));
    const listed = await server.api("GET", `${base}?limit=1000`);
    const texts = listed.body.results.map((item: { memory: string }) => item.memory);
    for (let n = 0; n < 20; n++) assert.ok(texts.includes(`concurrent ${n}`), `concurrent ${n} kept`);
  });

  it("compacts, reports usage and rebuilds", async () => {
    await server.api("DELETE", base);
    for (const message of ["1", "2", "3", "4", "5"]) await server.api("POST", base, { message });
    const compacted = await server.api("POST", `${base}/compact`, { ratio: 0.5 });
    assert.equal(compacted.status, 200);
    assert.deepEqual([compacted.body.before_count, compacted.body.after_count, compacted.body.ratio], [5, 2, 0.5]);
    assert.deepEqual(
      compacted.body.results.map((item: { memory: string }) => item.memory),
      ["5", "4"],
    );
    assert.deepEqual((await server.api("GET", `${base}/usage`)).body, {
      count: 2,
      total_text_bytes: 2,
      avg_text_bytes: 1,
      estimated_storage_bytes: 2,
    });
    await sh("rm /data/index/manifest.json");
    assert.deepEqual((await server.api("POST", `${base}/rebuild`)).body, {
      fs_count: 2,
      qdrant_count: 0,
      missing_count: 0,
      restored_count: 0,
    });
    assert.match(await sh("cat /data/index/manifest.json"), /"entries": \{\n {4}"/);
  });

  it("describes the routes in the OpenAPI document", async () => {
    const { paths } = (await server.api("GET", "/openapi.json")).body;
    assert.deepEqual(Object.keys(paths["/bots/{bot_id}/memory/{memory_id}"]).sort(), ["delete", "get", "put"]);
    for (const suffix of ["", "/search", "/delete", "/compact", "/usage", "/rebuild"]) {
      assert.ok(paths[`/bots/{bot_id}/memory${suffix}`], suffix);
    }
  });

  it("answers bad input with 400", async () => {
    const bad: [string, string, unknown][] = [
      ["POST", base, { message: "   " }],
      ["POST", base, {}],
      ["POST", base, { message: "x", extra: 1 }],
      ["POST", base, { messages: [{ role: "user" }] }],
      ["POST", base, { message: "x".repeat(64 * 1024 + 1) }],
      ["GET", `${base}?limit=0`, undefined],
      ["GET", `${base}?limit=1001`, undefined],
      ["GET", `${base}?limit=many`, undefined],
      ["POST", `${base}/search`, { query: "x", limit: 0 }],
      ["POST", `${base}/search`, { query: 5 }],
      ["POST", `${base}/delete`, { ids: [] }],
      ["POST", `${base}/delete`, { ids: [""] }],
      ["POST", `${base}/compact`, { ratio: 0 }],
      ["POST", `${base}/compact`, { ratio: 1.5 }],
      ["POST", `${base}/compact`, {}],
      ["PUT", one(`${A}:mem_1`), {}],
      ["PUT", one(`${A}:mem_1`), { text: "a", memory: "b" }],
      ["POST", base, "{not json"],
    ];
    for (const [method, url, body] of bad) {
      const response = await server.api(method, url, body);
      assert.equal(response.status, 400, `${method} ${url} ${JSON.stringify(body)?.slice(0, 80)}`);
      assert.equal(response.body.error.code, "bad_request");
    }
    const added = await server.api("POST", base, { message: "keep" });
    assert.equal((await server.api("PUT", one(added.body.id), { text: " \n" })).status, 400);
  });

  it("lists the real memories past a symlink to /dev/zero and a FIFO in /data/memory, without hanging", async () => {
    await server.api("DELETE", base);
    const added = await server.api("POST", base, { message: "the real one" });
    assert.equal(added.status, 201);
    await sh("ln -s /dev/zero /data/memory/zz.md && mkfifo /data/memory/fifo.md");
    const listed = await server.api("GET", base);
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.deepEqual(
      listed.body.results.map((entry: { memory: string }) => entry.memory),
      ["the real one"],
    );
    await sh("rm -f /data/memory/zz.md /data/memory/fifo.md");
  });

  it("keeps bots apart: another bot's token and another bot's memory IDs are not found", async () => {
    const added = await server.api("POST", base, { message: "secret of A" });
    const id = added.body.id as string;
    for (const [method, url, body] of [
      ["GET", base, undefined],
      ["POST", base, { message: "intrusion" }],
      ["GET", one(id), undefined],
      ["DELETE", base, undefined],
      ["POST", `${base}/compact`, { ratio: 0.5 }],
    ] as const) {
      assert.equal((await server.api(method, url, body, tokenB)).status, 404, `${method} ${url}`);
    }
    const asB = `/bots/${B}/memory/${encodeURIComponent(id)}`;
    assert.equal((await server.api("GET", asB, undefined, tokenB)).status, 404);
    assert.equal((await server.api("PUT", asB, { text: "x" }, tokenB)).status, 404);
    assert.equal((await server.api("DELETE", asB, undefined, tokenB)).status, 404);
    assert.deepEqual((await server.api("POST", `/bots/${B}/memory/delete`, { ids: [id] }, tokenB)).body, {
      deleted: 0,
    });
    const own = await server.api("POST", `/bots/${B}/memory`, { message: "B's own" }, tokenB);
    assert.equal(own.status, 201);
    assert.equal((await server.api("GET", one(id))).body.memory, "secret of A");
  });
});
