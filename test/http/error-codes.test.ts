// The same condition answers the same status and error code on every route
// family (files, media, skills, memory, import), whether Fastify's parser or
// botbox's own check found it; and a workspace that cannot be reached is one
// answer everywhere, the LLM tools included. http/error-status.ts holds the
// tables these answers come from.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { addBots, declaredBodyStatus, removeServer, shellIn } from "../support/bots.js";

const BOT = "error-codes";
const STOPPED = "error-codes-stopped";
const LIMIT = 1024;
// Past the server's 8 MiB JSON body limit; declared only, never sent.
const OVER_BODY_LIMIT = 9 * 2 ** 20;

interface Answer {
  status: number;
  code: string | undefined;
  message: string;
  headers?: Headers;
}

describe("one error code per condition on every route family", () => {
  let server: BotboxServer;

  const send = async (
    method: string,
    route: string,
    body: string | Uint8Array | undefined,
    headers: Record<string, string> = {},
  ): Promise<Answer> => {
    const response = await fetch(`${server.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${server.adminToken}`, ...headers },
      body,
    });
    const text = await response.text();
    const parsed = JSON.parse(text) as { error?: { code: string; message: string } };
    return {
      status: response.status,
      code: parsed.error?.code,
      message: parsed.error?.message ?? text,
      headers: response.headers,
    };
  };
  const json = (method: string, route: string, body: unknown) =>
    send(method, route, JSON.stringify(body), { "content-type": "application/json" });
  const declared = async (route: string, length: number, contentType = "application/json"): Promise<Answer> => {
    const { status, body } = await declaredBodyStatus(`${server.url}${route}`, {
      token: server.adminToken,
      length,
      contentType,
    });
    const parsed = JSON.parse(body) as { error: { code: string; message: string } };
    return { status, code: parsed.error.code, message: parsed.error.message };
  };
  const summary = (answers: Record<string, Answer>) =>
    Object.fromEntries(Object.entries(answers).map(([name, { status, code }]) => [name, `${status} ${code}`]));
  const expectAll = (answers: Record<string, Answer>, expected: string) =>
    assert.deepEqual(
      summary(answers),
      Object.fromEntries(Object.keys(answers).map((name) => [name, expected])),
      JSON.stringify(answers, null, 1),
    );

  before(async () => {
    server = await startBotboxServer({
      env: { BOTBOX_FILES_MAX_UPLOAD_BYTES: String(LIMIT), BOTBOX_MEDIA_MAX_BYTES: String(LIMIT) },
    });
    await addBots(server, [BOT, { id: STOPPED, start: false }]);
  });
  after(() => removeServer(server, [BOT, STOPPED]));

  it("a body over a limit is 413 payload_too_large on fs, media, skills, memory and import", async () => {
    const sh = shellIn(server, BOT);
    // A day file already past the 8 MiB cap of a memory file: the next add would grow it.
    await sh("mkdir -p /data/memory && head -c 8400000 /dev/zero | tr '\\0' a > /data/memory/$(date -u +%F).md");
    const overLimit = new Uint8Array(LIMIT * 2);
    const octets = { "content-type": "application/octet-stream" };
    try {
      const answers: Record<string, Answer> = {
        "fs upload over files.max_upload_bytes": await send(
          "PUT",
          `/bots/${BOT}/container/fs/upload?path=/data/big.bin`,
          overLimit,
          octets,
        ),
        "fs write over the JSON body limit": await declared(`/bots/${BOT}/container/fs/write`, OVER_BODY_LIMIT),
        "media over media.max_bytes": await send("POST", `/bots/${BOT}/media`, overLimit, octets),
        "skills: a SKILL.md over 1 MiB": await json("POST", `/bots/${BOT}/container/skills`, {
          skills: [`---\nname: big\n---\n${"x".repeat(2 ** 20)}`],
        }),
        "skills over the JSON body limit": await declared(`/bots/${BOT}/container/skills`, OVER_BODY_LIMIT),
        "memory: a day file past its cap": await json("POST", `/bots/${BOT}/memory`, { message: "one more" }),
        "memory over the JSON body limit": await declared(`/bots/${BOT}/memory`, OVER_BODY_LIMIT),
        "import over its limit": await declared(`/bots/${BOT}/container/import`, 11 * 2 ** 30, "application/gzip"),
      };
      expectAll(answers, "413 payload_too_large");
      assert.match(answers["memory: a day file past its cap"]?.message ?? "", /past the 8388608-byte limit/);
      assert.match(answers["media over media.max_bytes"]?.message ?? "", /media limit of 1024 bytes/);
    } finally {
      await sh("rm -f /data/memory/*.md /data/big.bin");
    }
  });

  it("a body of a type the route does not take, or a file that is not text, is 415 unsupported_media_type", async () => {
    await shellIn(server, BOT)("head -c 64 /dev/urandom > /data/binary.bin && printf '\\0' >> /data/binary.bin");
    const xml = { "content-type": "application/xml" };
    const answers: Record<string, Answer> = {
      "fs write as XML": await send("POST", `/bots/${BOT}/container/fs/write`, "<x/>", xml),
      "fs read of a binary file": await send("GET", `/bots/${BOT}/container/fs/read?path=/data/binary.bin`, undefined),
      "skills as XML": await send("POST", `/bots/${BOT}/container/skills`, "<x/>", xml),
      "memory as XML": await send("POST", `/bots/${BOT}/memory`, "<x/>", xml),
      "import as zip": await send("POST", `/bots/${BOT}/container/import`, "PK", { "content-type": "application/zip" }),
    };
    expectAll(answers, "415 unsupported_media_type");
  });

  it("a byte range outside the file is 416 range_not_satisfiable, giving the file's size", async () => {
    assert.equal(
      (await json("POST", `/bots/${BOT}/container/fs/write`, { path: "/data/five", content: "12345" })).status,
      200,
    );
    const outside = await send("GET", `/bots/${BOT}/container/fs/download?path=/data/five`, undefined, {
      range: "bytes=100-200",
    });
    assert.equal(`${outside.status} ${outside.code}`, "416 range_not_satisfiable", outside.message);
    assert.equal(outside.headers?.get("content-range"), "bytes */5");
    // The same file in range is served: the 416 is about the range.
    const inside = await fetch(`${server.url}/bots/${BOT}/container/fs/download?path=/data/five`, {
      headers: { authorization: `Bearer ${server.adminToken}`, range: "bytes=1-2" },
    });
    assert.deepEqual([inside.status, await inside.text()], [206, "23"]);
  });

  it("a stopped workspace is 503 unavailable with one reason on every family, and the tools give that reason", async () => {
    const answers: Record<string, Answer> = {
      fs: await send("GET", `/bots/${STOPPED}/container/fs?path=/data`, undefined),
      "fs upload": await send("PUT", `/bots/${STOPPED}/container/fs/upload?path=/data/x`, "x", {
        "content-type": "application/octet-stream",
      }),
      media: await send("GET", `/bots/${STOPPED}/media`, undefined),
      skills: await send("GET", `/bots/${STOPPED}/container/skills`, undefined),
      memory: await send("GET", `/bots/${STOPPED}/memory`, undefined),
      export: await send("GET", `/bots/${STOPPED}/container/export`, undefined),
    };
    expectAll(answers, "503 unavailable");
    const reasons = new Set(Object.values(answers).map((answer) => answer.message));
    assert.equal(reasons.size, 1, `one reason, not ${JSON.stringify([...reasons])}`);
    const reason = answers.fs?.message ?? "";
    assert.match(reason, /^container not reachable: .*error-codes-stopped/);

    const client = new Client({ name: "error-codes-test", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/bots/${STOPPED}/tools`), {
        requestInit: { headers: { authorization: `Bearer ${server.adminToken}` } },
      }),
    );
    try {
      const result = (await client.callTool({ name: "read", arguments: { path: "/data/x" } })) as {
        isError?: boolean;
        content: { text: string }[];
      };
      assert.equal(result.isError, true);
      assert.equal(result.content.map((part) => part.text).join(""), reason);
    } finally {
      await client.close();
    }
  });
});
