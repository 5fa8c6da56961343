// Paged listings and search (the agent's recursive ListDir of a big tree
// does not fit one gRPC message): a 50,000-file tree pages through
// completely, with no duplicates and no gaps, in a stable order.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { type FilesServer, json, startFilesServer } from "./support.js";

const BOT = "files-paging";
const FOLDERS = ["d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9"];
const SUBFOLDERS = ["e0", "e1", "e2", "e3", "e4"];
const FILES_PER_FOLDER = 1000;

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The tree's entries as the listing must give them: depth first, each folder in byte order. */
function expectedTree(root: string): string[] {
  const fileNames = Array.from({ length: FILES_PER_FOLDER }, (_, i) => `f${i + 1}`).sort(byBytes);
  const paths: string[] = [];
  for (const folder of FOLDERS) {
    paths.push(`${root}/${folder}`);
    for (const sub of SUBFOLDERS) {
      paths.push(`${root}/${folder}/${sub}`);
      for (const name of fileNames) paths.push(`${root}/${folder}/${sub}/${name}`);
    }
  }
  return paths;
}

interface Entry {
  name: string;
  path: string;
  isDir: boolean;
}

describe("paged listing and search", () => {
  let files: FilesServer;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response fields freely
  const get = (route: string): Promise<{ status: number; body: any }> => files.fetch(files.url(BOT, route)).then(json);

  /** Every page of a listing or search, following nextCursor to the end. */
  async function allPages(route: string): Promise<{ entries: Entry[]; pages: number }> {
    const entries: Entry[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const separator = route.includes("?") ? "&" : "?";
      const { status, body } = await get(
        cursor === null ? route : `${route}${separator}cursor=${encodeURIComponent(cursor)}`,
      );
      assert.equal(status, 200, JSON.stringify(body));
      entries.push(...body.entries);
      cursor = body.nextCursor;
      pages++;
    } while (cursor !== null);
    return { entries, pages };
  }

  before(async () => {
    files = await startFilesServer([BOT]);
    // One exec builds the whole tree: 50 folders of 1,000 empty files.
    await files.sh(
      BOT,
      `cd /data && for d in ${FOLDERS.join(" ")}; do for e in ${SUBFOLDERS.join(" ")}; do ` +
        `mkdir -p big/$d/$e && (cd big/$d/$e && seq 1 ${FILES_PER_FOLDER} | sed 's/^/f/' | xargs touch); done; done`,
    );
    assert.equal((await files.sh(BOT, "find /data/big -type f | wc -l")).trim(), "50000");
  });
  after(async () => {
    await files?.close();
  });

  it("pages through a 50,000-file tree with the default limit: every entry once, depth first in byte order", async () => {
    const { entries, pages } = await allPages("/fs/list?path=/data/big&recursive=true");
    const expected = expectedTree("/data/big");
    assert.equal(entries.length, expected.length);
    assert.equal(new Set(entries.map((entry) => entry.path)).size, expected.length, "no duplicates");
    assert.deepEqual(
      entries.map((entry) => entry.path),
      expected,
    );
    assert.equal(pages, Math.ceil(expected.length / 1000));
    assert.equal(entries[0]!.isDir, true);
    assert.equal(entries[0]!.name, "d0");
  });

  it("pages with the largest limit, 10,000", async () => {
    const { entries, pages } = await allPages("/fs/list?path=/data/big&recursive=true&limit=10000");
    assert.deepEqual(
      entries.map((entry) => entry.path),
      expectedTree("/data/big"),
    );
    assert.equal(pages, 6);
  });

  it("pages a single folder's entries without descending", async () => {
    const { entries, pages } = await allPages("/fs/list?path=/data/big/d3/e1&limit=300");
    assert.equal(entries.length, FILES_PER_FOLDER);
    assert.equal(pages, 4);
    assert.deepEqual(
      entries.map((entry) => entry.name),
      Array.from({ length: FILES_PER_FOLDER }, (_, i) => `f${i + 1}`).sort(byBytes),
    );
  });

  it("resumes after a cursor entry that was deleted since", async () => {
    await files.sh(
      BOT,
      "mkdir -p /data/resume/a /data/resume/c && touch /data/resume/a/1 /data/resume/b /data/resume/c/2",
    );
    const first = await get("/fs/list?path=/data/resume&recursive=true&limit=2");
    assert.deepEqual(
      first.body.entries.map((entry: Entry) => entry.path),
      ["/data/resume/a", "/data/resume/a/1"],
    );
    await files.sh(BOT, "rm -r /data/resume/a");
    const next = await get(`/fs/list?path=/data/resume&recursive=true&limit=10&cursor=${first.body.nextCursor}`);
    assert.deepEqual(
      next.body.entries.map((entry: Entry) => entry.path),
      ["/data/resume/b", "/data/resume/c", "/data/resume/c/2"],
    );
    assert.equal(next.body.nextCursor, null);
  });

  it("refuses a cursor from another listing, or one it never gave out, with 400", async () => {
    const page = await get("/fs/list?path=/data/big&recursive=true&limit=5");
    const cursor = encodeURIComponent(page.body.nextCursor);
    const elsewhere = await get(`/fs/list?path=/data/big/d1&recursive=true&cursor=${cursor}`);
    assert.equal(elsewhere.status, 400);
    assert.match(elsewhere.body.error.message, /query\.cursor: belongs to another listing/);
    assert.equal((await get(`/fs/list?path=/data/big&cursor=${cursor}`)).status, 400);
    const forged = await get("/fs/list?path=/data/big&recursive=true&cursor=bm90LWEtY3Vyc29y");
    assert.equal(forged.status, 400);
    assert.match(forged.body.error.message, /query\.cursor: not a cursor/);
  });

  describe("GET /fs/search", () => {
    before(async () => {
      await files.sh(
        BOT,
        "mkdir -p /data/docs/a/b && touch /data/docs/readme.md /data/docs/a/guide.md /data/docs/a/b/notes.md /data/docs/a/b/notes.txt /data/docs/a/file1.log /data/docs/a/file2.log /data/docs/a/fileX.log",
      );
    });

    it("finds names matching a * glob anywhere under the path", async () => {
      const { status, body } = await get("/fs/search?path=/data/docs&pattern=*.md");
      assert.equal(status, 200);
      assert.equal(body.pattern, "*.md");
      assert.equal(body.nextCursor, null);
      assert.deepEqual(
        body.entries.map((entry: Entry) => entry.path),
        ["/data/docs/a/b/notes.md", "/data/docs/a/guide.md", "/data/docs/readme.md"],
      );
    });

    it("supports ? and [..] classes, with ! negation", async () => {
      const names = async (pattern: string) =>
        (await get(`/fs/search?path=/data/docs&pattern=${encodeURIComponent(pattern)}`)).body.entries.map(
          (entry: Entry) => entry.name,
        );
      assert.deepEqual(await names("file?.log"), ["file1.log", "file2.log", "fileX.log"]);
      assert.deepEqual(await names("file[0-9].log"), ["file1.log", "file2.log"]);
      assert.deepEqual(await names("file[!0-9].log"), ["fileX.log"]);
      assert.deepEqual(await names("b"), ["b"]);
    });

    it("searches /data by default and pages its matches", async () => {
      const { entries, pages } = await allPages("/fs/search?pattern=f1*&limit=100");
      // f1, f10-f19, f100-f199 and f1000 in each of the 50 folders.
      assert.equal(entries.length, 50 * (1 + 10 + 100 + 1));
      assert.ok(entries.every((entry) => /^f1\d*$/.test(entry.name)));
      assert.equal(new Set(entries.map((entry) => entry.path)).size, entries.length);
      assert.ok(pages >= 56);
    });

    it("validates the pattern", async () => {
      assert.match((await get("/fs/search?path=/data")).body.error.message, /query\.pattern: is required/);
      const slash = await get("/fs/search?pattern=a/b");
      assert.equal(slash.status, 400);
      assert.match(slash.body.error.message, /cannot contain '\/'/);
      assert.equal((await get("/fs/search?pattern=[z-a]")).status, 400);
      assert.equal((await get("/fs/search?path=/data/nowhere&pattern=*")).status, 404);
    });
  });
});
