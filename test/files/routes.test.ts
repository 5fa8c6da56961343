// The file manager's routes end to end: `botbox serve`, a real
// sandbox, real paths. Transfers and paging have their own files.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { TEST_RUNTIME } from "../support/botbox-server.js";
import { declaredBodyStatus } from "../support/bots.js";
import { type FilesServer, json, startFilesServer } from "./support.js";

const BOT = "files-routes";
const OTHER = "files-routes-other";
const NO_CONTAINER = "files-routes-idle";

describe("file manager routes", () => {
  let files: FilesServer;
  const get = (route: string, token?: string) => files.fetch(files.url(BOT, route), { token }).then(json);
  const post = (route: string, body: unknown, token?: string, bot = BOT) =>
    files
      .fetch(files.url(bot, route), {
        method: "POST",
        token,
        headers: { "content-type": "application/json" },
        body: typeof body === "string" ? body : JSON.stringify(body),
      })
      .then(json);
  const write = async (path: string, content: string) =>
    assert.deepEqual(await post("/fs/write", { path, content }), { status: 200, body: { ok: true } });

  before(async () => {
    files = await startFilesServer([BOT, OTHER]);
    assert.equal((await files.server.api("POST", "/bots", { id: NO_CONTAINER, name: "idle" })).status, 201);
  });
  after(async () => {
    await files?.server.api("DELETE", `/bots/${NO_CONTAINER}`);
    await files?.close();
  });

  describe("GET /fs", () => {
    it("describes a file with the original's field names", async () => {
      await write("/data/hello.txt", "hello\n");
      const { status, body } = await get("/fs?path=/data/hello.txt");
      assert.equal(status, 200);
      assert.deepEqual(Object.keys(body).sort(), ["isDir", "modTime", "mode", "name", "path", "size"]);
      assert.equal(body.name, "hello.txt");
      assert.equal(body.path, "/data/hello.txt");
      assert.equal(body.size, 6);
      assert.equal(body.isDir, false);
      assert.match(body.mode, /^-rw-/);
      assert.match(body.modTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    });

    it("defaults to the root, a folder", async () => {
      const { status, body } = await get("/fs");
      assert.equal(status, 200);
      assert.equal(body.path, "/");
      assert.equal(body.name, "/");
      assert.equal(body.isDir, true);
    });

    it("answers 404 for a missing path", async () => {
      const { status, body } = await get("/fs?path=/data/nope");
      assert.equal(status, 404);
      assert.match(body.error.message, /no such file or directory: \/data\/nope/);
    });
  });

  describe("paths", () => {
    it("are trimmed, made absolute from the container root and cleaned", async () => {
      await write("  data/trimmed.txt  ", "trimmed");
      assert.equal((await get("/fs/read?path=/data/trimmed.txt")).body.content, "trimmed");
      const cleaned = await get(`/fs?path=${encodeURIComponent("/data/./x/../trimmed.txt")}`);
      assert.equal(cleaned.body.path, "/data/trimmed.txt");
    });

    it("cannot climb out of the sandbox: ../../etc is the bot's own /etc", async () => {
      const hostname = (await files.sh(BOT, "cat /etc/hostname")).trim();
      const read = await get(`/fs/read?path=${encodeURIComponent("../../etc/hostname")}`);
      assert.equal(read.status, 200);
      assert.equal(read.body.path, "/etc/hostname");
      assert.equal(read.body.content.trim(), hostname);
      // The host has an /etc/shadow. The sandbox has none; a Docker bot has its
      // image's own. Either way the route gives the bot's, never the host's.
      const own = await files.sh(BOT, "cat /etc/shadow 2>/dev/null || echo MISSING");
      const shadow = await get(`/fs/read?path=${encodeURIComponent("/../../etc/shadow")}`);
      const download = await files.fetch(
        files.url(BOT, `/fs/download?path=${encodeURIComponent("../../../etc/shadow")}`),
      );
      if (own === "MISSING\n") {
        assert.equal(shadow.status, 404);
        assert.equal(download.status, 404);
      } else {
        assert.equal(shadow.status, 200);
        assert.equal(shadow.body.content, own);
        assert.equal(download.status, 200);
        assert.equal(await download.text(), own);
      }
      if (TEST_RUNTIME === "sandbox") assert.equal(own, "MISSING\n", "the sandbox has no /etc/shadow");
    });

    it("are validated: missing, blank, non-string or with NUL bytes give 400 naming the field", async () => {
      for (const route of ["/fs/read", "/fs/read?path=", "/fs/read?path=%20%20", "/fs/download"]) {
        const { status, body } = await get(route);
        assert.equal(status, 400, route);
        assert.match(body.error.message, /query\.path: is required/);
      }
      assert.match((await get("/fs/read?path=a&path=b")).body.error.message, /query\.path: must be a string/);
      assert.match((await get("/fs?path=/data/a%00b")).body.error.message, /query\.path: must not contain NUL/);
      const write = await post("/fs/write", { path: "/data/x", content: 42 });
      assert.equal(write.status, 400);
      assert.match(write.body.error.message, /body\.content: must be a string/);
      const missing = await post("/fs/write", { content: "x" });
      assert.match(missing.body.error.message, /body\.path: is required/);
      const notJson = await post("/fs/mkdir", "{not json");
      assert.equal(notJson.status, 400);
    });
  });

  describe("GET /fs/read and POST /fs/write", () => {
    it("returns the whole raw text: no line numbers and no 5 KiB cap", async () => {
      const content = Array.from({ length: 2000 }, (_, i) => `line ${i + 1} — ünïcödé`).join("\n");
      await write("/data/long.txt", content);
      const { status, body } = await get("/fs/read?path=/data/long.txt");
      assert.equal(status, 200);
      assert.equal(body.content, content);
      assert.equal(body.size, Buffer.byteLength(content));
      assert.equal(body.path, "/data/long.txt");
    });

    it("writes past gRPC's 4 MiB message limit, creating parent folders", async () => {
      const content = "x".repeat(6 * 2 ** 20);
      await write("/data/deep/er/big.txt", content);
      assert.equal((await get("/fs?path=/data/deep/er/big.txt")).body.size, content.length);
    });

    it("refuses a JSON body over the 8 MiB body limit with 413", async () => {
      const { status } = await declaredBodyStatus(files.url(BOT, "/fs/write"), {
        token: files.server.adminToken,
        length: 9 * 2 ** 20,
      });
      assert.equal(status, 413);
      assert.equal((await get("/fs?path=/data/huge.txt")).status, 404);
    });

    it("answers 415 for binary or invalid UTF-8, pointing at /fs/download", async () => {
      await files.sh(BOT, "printf 'a\\000b' > /data/nul.bin; printf '\\377\\376x' > /data/latin.bin");
      for (const name of ["nul.bin", "latin.bin"]) {
        const { status, body } = await get(`/fs/read?path=/data/${name}`);
        assert.equal(status, 415, name);
        assert.match(body.error.message, /\/fs\/download/);
      }
    });

    it("answers 404 for a missing file and 400 for a folder", async () => {
      assert.equal((await get("/fs/read?path=/data/missing.txt")).status, 404);
      const folder = await get("/fs/read?path=/data");
      assert.equal(folder.status, 400);
      assert.match(folder.body.error.message, /is a directory/);
    });

    it("refuses to write onto a folder (400) or a path the workspace needs (403)", async () => {
      assert.equal((await post("/fs/write", { path: "/data/deep", content: "x" })).status, 400);
      assert.equal((await post("/fs/write", { path: "/run/botbox/agent.sock", content: "x" })).status, 403);
    });
  });

  describe("GET /fs/list", () => {
    it("lists a folder's entries in byte order with name and absolute path", async () => {
      await files.sh(
        BOT,
        "mkdir -p /data/list/sub && printf abc > /data/list/b.txt && touch /data/list/B /data/list/é",
      );
      const { status, body } = await get("/fs/list?path=/data/list");
      assert.equal(status, 200);
      assert.equal(body.path, "/data/list");
      assert.equal(body.nextCursor, null);
      assert.deepEqual(
        body.entries.map((entry: { name: string }) => entry.name),
        ["B", "b.txt", "sub", "é"],
      );
      const file = body.entries[1];
      assert.deepEqual(
        { name: file.name, path: file.path, size: file.size, isDir: file.isDir },
        { name: "b.txt", path: "/data/list/b.txt", size: 3, isDir: false },
      );
      assert.equal(body.entries[2].isDir, true);
    });

    it("lists the root by default", async () => {
      const names = (await get("/fs/list")).body.entries.map((entry: { name: string }) => entry.name);
      for (const name of ["data", "etc", "tmp", "usr"]) assert.ok(names.includes(name), name);
    });

    it("answers 404 for a missing folder and 400 for a file", async () => {
      assert.equal((await get("/fs/list?path=/data/no-such-folder")).status, 404);
      const file = await get("/fs/list?path=/data/hello.txt");
      assert.equal(file.status, 400);
      assert.match(file.body.error.message, /not a directory/);
    });

    it("validates recursive and limit", async () => {
      assert.match((await get("/fs/list?recursive=yes")).body.error.message, /query\.recursive/);
      assert.match((await get("/fs/list?limit=0")).body.error.message, /query\.limit/);
      assert.match((await get("/fs/list?limit=10001")).body.error.message, /query\.limit/);
    });
  });

  describe("POST /fs/mkdir, /fs/delete, /fs/rename", () => {
    it("mkdir creates a folder and its parents, and is idempotent", async () => {
      assert.deepEqual(await post("/fs/mkdir", { path: "/data/m/n/o" }), { status: 200, body: { ok: true } });
      assert.equal((await post("/fs/mkdir", { path: "/data/m/n/o" })).status, 200);
      assert.equal((await get("/fs?path=/data/m/n/o")).body.isDir, true);
    });

    it("delete removes a file, and a folder's tree with recursive", async () => {
      await write("/data/gone/a/b.txt", "b");
      assert.deepEqual(await post("/fs/delete", { path: "/data/gone/a/b.txt" }), { status: 200, body: { ok: true } });
      assert.equal((await get("/fs?path=/data/gone/a/b.txt")).status, 404);
      await write("/data/gone/a/c.txt", "c");
      assert.equal((await post("/fs/delete", { path: "/data/gone", recursive: true })).status, 200);
      assert.equal((await get("/fs?path=/data/gone")).status, 404);
      assert.match(
        (await post("/fs/delete", { path: "/data/x", recursive: "yes" })).body.error.message,
        /body\.recursive/,
      );
    });

    it("refuses with 403 to delete the root or a folder the workspace needs, which stay", async () => {
      const protectedPaths = ["/", "/data", "/data/..", "/proc", "/dev", "/usr", "/etc", "/bin", "/sbin", "/lib"];
      protectedPaths.push("/lib64", "/opt", "/opt/botbox", "/run", "/run/botbox", "/app", "/tmp", "/root", "/home");
      for (const path of protectedPaths) {
        const { status, body } = await post("/fs/delete", { path, recursive: true });
        assert.equal(status, 403, path);
        assert.equal(body.error.code, "forbidden");
      }
      assert.match((await post("/fs/delete", { path: "/" })).body.error.message, /cannot delete the root directory/);
      assert.equal((await post("/fs/delete", { path: "/run/botbox/agent.sock" })).status, 403);
      await files.sh(BOT, "test -d /data && test -d /usr/bin && test -d /tmp && test -S /run/botbox/agent.sock");
      assert.equal((await get("/fs?path=/data/hello.txt")).status, 200);
      // Inside them is fine.
      await write("/tmp/scratch/file", "x");
      assert.equal((await post("/fs/delete", { path: "/tmp/scratch", recursive: true })).status, 200);
      assert.equal((await get("/fs?path=/tmp/scratch")).status, 404);
    });

    it("rename takes a camelCase body, moves files and creates the new parents", async () => {
      await write("/data/old.txt", "moved");
      const renamed = await post("/fs/rename", { oldPath: "/data/old.txt", newPath: "/data/new/place.txt" });
      assert.deepEqual(renamed, { status: 200, body: { ok: true } });
      assert.equal((await get("/fs/read?path=/data/new/place.txt")).body.content, "moved");
      assert.equal((await get("/fs?path=/data/old.txt")).status, 404);
    });

    it("rename validates its body, 404s a missing source and refuses protected folders", async () => {
      const snake = await post("/fs/rename", { old_path: "/data/a", new_path: "/data/b" });
      assert.equal(snake.status, 400);
      assert.match(snake.body.error.message, /body\.oldPath: is required/);
      assert.match(snake.body.error.message, /body\.newPath: is required/);
      assert.equal((await post("/fs/rename", { oldPath: "/data/none", newPath: "/data/b" })).status, 404);
      await write("/data/r.txt", "r");
      assert.equal((await post("/fs/rename", { oldPath: "/data", newPath: "/data2" })).status, 403);
      assert.equal((await post("/fs/rename", { oldPath: "/usr", newPath: "/data/usr" })).status, 403);
      assert.equal((await post("/fs/rename", { oldPath: "/data/r.txt", newPath: "/tmp" })).status, 403);
      assert.equal((await post("/fs/rename", { oldPath: "/data/new", newPath: "/data/new/inner" })).status, 400);
      assert.equal((await get("/fs/read?path=/data/r.txt")).body.content, "r");
    });
  });

  describe("access", () => {
    it("gives a bot token its own bot's files and a 404 for another bot's", async () => {
      const own = await get("/fs?path=/data/hello.txt", files.tokens[BOT]);
      assert.equal(own.status, 200);
      const other = await get("/fs?path=/data/hello.txt", files.tokens[OTHER]);
      assert.equal(other.status, 404);
      assert.match(other.body.error.message, new RegExp(`bot ${BOT} not found`));
      const write = await post("/fs/write", { path: "/data/intruder", content: "x" }, files.tokens[OTHER]);
      assert.equal(write.status, 404);
      assert.equal((await get("/fs?path=/data/intruder")).status, 404);
      assert.equal((await get("/fs", "")).status, 401);
    });

    it("answers 503 'container not reachable' for a bot without a running container", async () => {
      const { status, body } = await files.fetch(`${files.server.url}/bots/${NO_CONTAINER}/container/fs`).then(json);
      assert.equal(status, 503);
      assert.match(body.error.message, /^container not reachable: /);
    });
  });
});
