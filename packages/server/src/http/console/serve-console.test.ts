import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import Fastify, { type FastifyInstance } from "fastify";

import { consoleFiles } from "./console-files.js";
import { serveConsole } from "./serve-console.js";

/** A server with the console hook, one API route and the API's JSON 404, over `dir`. */
async function appOver(dir: string): Promise<FastifyInstance> {
  const app = Fastify();
  serveConsole(app, consoleFiles(dir));
  app.get("/bots", async () => ({ bots: [] }));
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: "not_found", message: `no route ${request.method} ${request.url}` } }),
  );
  await app.ready();
  return app;
}

describe("serveConsole", () => {
  let root: string;
  let built: FastifyInstance;
  let empty: FastifyInstance;

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), "botbox-console-"));
    await mkdir(path.join(root, "dist", "assets"), { recursive: true });
    await mkdir(path.join(root, "missing"));
    await writeFile(path.join(root, "dist", "index.html"), "<!doctype html><title>console</title>");
    await writeFile(path.join(root, "dist", "assets", "index-abc123.js"), "console.log(1)");
    // Readable files beside the assets folder: only the name check keeps them out.
    await writeFile(path.join(root, "dist", "secret.txt"), "not an asset");
    await writeFile(path.join(root, "secret.txt"), "not an asset either");
    built = await appOver(path.join(root, "dist"));
    empty = await appOver(path.join(root, "missing"));
  });
  after(async () => {
    await built?.close();
    await empty?.close();
    await rm(root, { recursive: true, force: true });
  });

  it("answers index.html for / and the console's own routes, never cached, with the CSP", async () => {
    for (const url of ["/", "/console", "/console/bots/x/files?path=/data"]) {
      const response = await built.inject({ url });
      assert.equal(response.statusCode, 200, url);
      assert.equal(response.body, "<!doctype html><title>console</title>");
      assert.equal(response.headers["cache-control"], "no-cache");
      assert.equal(response.headers["content-type"], "text/html; charset=utf-8");
      assert.equal(response.headers["x-content-type-options"], "nosniff");
      const csp = String(response.headers["content-security-policy"]);
      for (const directive of [
        "default-src 'self'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
      ])
        assert.ok(csp.includes(directive), `${directive} in ${csp}`);
      assert.ok(!/script-src[^;]*unsafe/.test(csp), "no inline or eval'd script");
    }
  });

  it("answers hashed assets as immutable for a year", async () => {
    const response = await built.inject({ url: "/assets/index-abc123.js" });
    assert.equal(response.statusCode, 200);
    assert.equal(response.body, "console.log(1)");
    assert.equal(response.headers["cache-control"], "public, max-age=31536000, immutable");
    assert.equal(response.headers["content-type"], "text/javascript; charset=utf-8");
    const head = await built.inject({ method: "HEAD", url: "/assets/index-abc123.js" });
    assert.equal(head.statusCode, 200);
    assert.equal(head.body, "");
  });

  it("refuses asset names that leave the assets folder, though the files there are readable", async () => {
    for (const url of [
      "/assets/../secret.txt",
      "/assets/..%2Fsecret.txt",
      "/assets/%2e%2e/secret.txt",
      "/assets/..%2F..%2Fsecret.txt",
      "/assets/%2e%2e%2f%2e%2e%2fsecret.txt",
      "/assets/sub%5C..%5C..%5Csecret.txt",
    ]) {
      const response = await built.inject({ url });
      assert.equal(response.statusCode, 404, url);
      assert.ok(!response.body.includes("not an asset"), url);
    }
    assert.equal((await built.inject({ url: "/assets/nope.js" })).statusCode, 404);
  });

  it("leaves API routes, other methods and unknown paths to the API", async () => {
    assert.deepEqual((await built.inject({ url: "/bots", headers: { accept: "text/html" } })).json(), { bots: [] });
    const unknown = await built.inject({ url: "/bots/x/nothing", headers: { accept: "text/html" } });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error.code, "not_found");
    const posted = await built.inject({ method: "POST", url: "/console" });
    assert.equal(posted.json().error.code, "not_found");
    assert.equal((await built.inject({ url: "/consoles" })).json().error.code, "not_found");
  });

  it("says how to build the console when its files are missing", async () => {
    const response = await empty.inject({ url: "/console/bots" });
    assert.equal(response.statusCode, 404);
    assert.match(response.body, /not built/);
    assert.match(response.body, /npm run build/);
    assert.deepEqual((await empty.inject({ url: "/bots" })).json(), { bots: [] }, "the API works without it");
  });
});
