// The containerfs media storage and the media service
// against a real agent process whose data folder plays /data.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { after, before, beforeEach, describe, it } from "node:test";

import type { AgentClient } from "../../packages/server/src/client/index.js";
import { BadRequestError, NotFoundError, UnavailableError } from "../../packages/server/src/errors.js";
import { ContainerFsStorage, MediaService, MediaTooLargeError } from "../../packages/server/src/media/index.js";
import type { AgentProcess } from "../support/agent-process.js";
import { stopAgentWithClient } from "../support/agent-with-client.js";
import { SHARED_AGENT_TOKEN, sharedAgentWithClient } from "../support/shared-agent.js";

const TOKEN = SHARED_AGENT_TOKEN;
const LIMIT = 256 * 1024;
const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

describe("media storage and service over a real agent", () => {
  let agent: AgentProcess;
  let client: AgentClient;
  let storage: ContainerFsStorage;
  let media: MediaService;
  let bot: string;
  const mediaDir = () => path.join(agent.dataDir, "media");
  const onDisk = (relative: string) => path.join(agent.dataDir, relative);

  before(async () => {
    ({ agent, client } = await sharedAgentWithClient({ token: TOKEN }));
    bot = agent.botId;
    storage = new ContainerFsStorage(async () => client);
    media = new MediaService(storage, { maxBytes: LIMIT });
  });
  after(() => stopAgentWithClient({ agent, client }));
  // An aborted upload of the test before may still be tidying its temporary
  // file in the agent: retry on ENOTEMPTY instead of failing the next test.
  beforeEach(() => rm(mediaDir(), { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }));

  describe("storage", () => {
    it("put, open, stat and delete a key under /data/media", async () => {
      const key = `${bot}/image/ab12/ab12cd.png`;
      assert.equal(await storage.put(key, "png bytes"), 9);
      assert.equal(await readFile(onDisk("media/image/ab12/ab12cd.png"), "utf8"), "png bytes");
      assert.equal((await buffer(await storage.open(key))).toString(), "png bytes");
      assert.equal((await storage.stat(key))?.size, 9);
      await storage.delete(key);
      assert.equal(await storage.stat(key), undefined);
      await assert.rejects(storage.open(key), NotFoundError);
    });

    it("maps keys to /data/media paths without a client", () => {
      assert.equal(storage.accessPath(`${bot}/ab/abcd.png`), "/data/media/ab/abcd.png");
      assert.throws(() => storage.accessPath("bot-1/../../escape"), BadRequestError);
    });

    it("refuses bad keys before reaching the agent", async () => {
      for (const key of ["/absolute/path", "../escape", "nosubpath", "", "../etc/passwd", "bot-1/../../escape"]) {
        await assert.rejects(storage.put(key, "x"), BadRequestError, key);
      }
      await assert.rejects(storage.move(`${bot}/a`, "other-bot/a"), /between bots/);
    });

    it("opens container files only under /data/, without '..'", async () => {
      await writeFile(onDisk("hello.txt"), "hi");
      assert.equal((await buffer(await storage.openContainerFile(bot, "/data/hello.txt"))).toString(), "hi");
      for (const bad of [
        "/etc/passwd",
        "data/hello.txt",
        "/data/",
        "/data/../etc/passwd",
        "/data/a/../../etc",
        "/data//etc/hostname",
      ]) {
        await assert.rejects(storage.openContainerFile(bot, bad), BadRequestError, bad);
      }
      await assert.rejects(storage.openContainerFile(bot, "/data/missing.txt"), NotFoundError);
    });

    it("lists by prefix within one folder; a missing folder is empty; other failures are errors", async () => {
      await mkdir(onDisk("media/ab/sub"), { recursive: true });
      await writeFile(onDisk("media/ab/ab01.png"), "1");
      await writeFile(onDisk("media/ab/ab02.jpg"), "22");
      await writeFile(onDisk("media/ab/cd03.png"), "3");
      const keys = async (prefix: string) => (await storage.listPrefix(`${bot}/${prefix}`)).map((item) => item.key);
      assert.deepEqual(await keys("ab/ab0"), [`${bot}/ab/ab01.png`, `${bot}/ab/ab02.jpg`]);
      assert.deepEqual(await keys("ab/"), [`${bot}/ab/ab01.png`, `${bot}/ab/ab02.jpg`, `${bot}/ab/cd03.png`]);
      assert.deepEqual(
        (await storage.listPrefix(`${bot}/ab/ab02`)).map((item) => item.size),
        [2],
      );
      assert.deepEqual(await keys("zz/"), []);
      const broken = new ContainerFsStorage(
        async () =>
          ({
            listDir: async () => {
              throw new UnavailableError("agent went away");
            },
          }) as unknown as AgentClient,
      );
      await assert.rejects(broken.listPrefix(`${bot}/ab/`), UnavailableError);
    });

    it("an unreachable workspace is a 503-style UnavailableError, whatever the lookup threw", async () => {
      const down = new ContainerFsStorage(async () => {
        throw new Error("no such container");
      });
      await assert.rejects(down.open(`${bot}/ab/x.png`), UnavailableError);
    });
  });

  describe("service", () => {
    it("stores content at /data/media/<h2>/<sha256><ext>, the extension from the mime", async () => {
      const png = Buffer.from("\x89PNG fake image");
      const hash = sha256(png);
      const record = await media.ingest(bot, { source: Readable.from([png]), mime: "image/png" });
      assert.deepEqual(record, {
        key: `${bot}/${hash.slice(0, 2)}/${hash}.png`,
        storageKey: `${hash.slice(0, 2)}/${hash}.png`,
        accessPath: `/data/media/${hash.slice(0, 2)}/${hash}.png`,
        mime: "image/png",
        size: png.length,
        sha256: hash,
        deduplicated: false,
      });
      assert.deepEqual(await readFile(onDisk(`media/${record.storageKey}`)), png);
      // The staging file was renamed, not left behind.
      assert.deepEqual(await readdir(onDisk("media/.incoming")), []);
    });

    it("the same content again writes nothing: the stored file keeps its inode and mtime", async () => {
      const data = Buffer.from("same bytes twice");
      const first = await media.ingest(bot, { source: [data], mime: "text/plain" });
      const before = await stat(onDisk(`media/${first.storageKey}`));
      await new Promise((resolve) => setTimeout(resolve, 20));
      const second = await media.ingest(bot, { source: [data], mime: "text/plain; charset=utf-8" });
      assert.equal(second.deduplicated, true);
      assert.equal(second.key, first.key);
      const after = await stat(onDisk(`media/${first.storageKey}`));
      assert.deepEqual([after.ino, after.mtimeMs], [before.ino, before.mtimeMs]);
      assert.deepEqual(await readdir(onDisk("media/.incoming")), []);
    });

    it("keeps the original extension when the mime maps to .bin, and infers the mime from the name", async () => {
      const weights = await media.ingest(bot, { source: ["w"], mime: "application/x-weird", fileName: "m.gguf" });
      assert.match(weights.storageKey, /^[0-9a-f]{2}\/[0-9a-f]{64}\.gguf$/);
      const named = await media.ingest(bot, { source: ["p"], fileName: "photo.JPG" });
      assert.deepEqual([named.mime, named.storageKey.endsWith(".jpg")], ["image/jpeg", true]);
      const anonymous = await media.ingest(bot, { source: ["b"] });
      assert.deepEqual([anonymous.mime, anonymous.storageKey.endsWith(".bin")], ["application/octet-stream", true]);
    });

    it("streams large files through in chunks, and stops at the size limit without storing anything", async () => {
      const chunk = Buffer.alloc(64 * 1024, 7);
      const exact = await media.ingest(bot, { source: Array.from({ length: 4 }, () => chunk) });
      assert.equal(exact.size, LIMIT);
      await assert.rejects(
        media.ingest(bot, { source: Array.from({ length: 5 }, () => chunk), mime: "video/mp4" }),
        MediaTooLargeError,
      );
      const stored = await readdir(onDisk(`media/${exact.storageKey.slice(0, 2)}`));
      assert.deepEqual(stored, [path.basename(exact.storageKey)]);
      assert.deepEqual(await readdir(onDisk("media/.incoming")), []);
    });

    it("ingests a file the bot already has, with the mime from its extension; the source stays", async () => {
      await writeFile(onDisk("report.pdf"), "%PDF-1.7 fake");
      const record = await media.ingestContainerFile(bot, "/data/report.pdf");
      assert.equal(record.mime, "application/pdf");
      assert.equal(record.sha256, sha256("%PDF-1.7 fake"));
      assert.ok(record.storageKey.endsWith(".pdf"));
      assert.equal(await readFile(onDisk("report.pdf"), "utf8"), "%PDF-1.7 fake");
      await assert.rejects(media.ingestContainerFile(bot, "/etc/passwd"), /must start with \/data\//);
      await assert.rejects(media.ingestContainerFile(bot, "/data/nope.png"), NotFoundError);
    });

    it("opens, lists and deletes by storage key; unknown keys are NotFound, bad ones BadRequest", async () => {
      const record = await media.ingest(bot, { source: ["gif!"], mime: "image/gif" });
      const opened = await media.open(bot, record.storageKey);
      assert.deepEqual([opened.mime, opened.size], ["image/gif", 4]);
      assert.equal((await buffer(opened.stream)).toString(), "gif!");
      const listed = await media.list(bot, record.storageKey.slice(0, 2) + "/");
      assert.deepEqual(
        listed.map((entry) => [entry.key, entry.storageKey, entry.accessPath, entry.mime, entry.size]),
        [[record.key, record.storageKey, record.accessPath, "image/gif", 4]],
      );
      await media.delete(bot, record.storageKey);
      await assert.rejects(media.open(bot, record.storageKey), NotFoundError);
      await assert.rejects(media.delete(bot, record.storageKey), NotFoundError);
      await assert.rejects(media.open(bot, "../../etc/passwd"), BadRequestError);
      await assert.rejects(media.open(bot, ".incoming/x.part"), BadRequestError);
      await assert.rejects(media.list(bot, "../"), BadRequestError);
    });
  });
});
