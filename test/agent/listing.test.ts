// ListDir, Stat, Mkdir, Rename and DeleteFile
// against the real bundled agent.
import assert from "node:assert/strict";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import type { AgentProcess } from "../support/agent-process.js";
import { stopAgentWithClient } from "../support/agent-with-client.js";
import {
  type FileEntry,
  type RawAgentClient,
  rejectsWithCode,
  RFC3339_SECONDS,
  sharedAgentWithRawClient,
  status,
} from "./support.js";

describe("folder and metadata calls", { timeout: 30_000 }, () => {
  let agent: AgentProcess;
  let client: RawAgentClient;
  const inData = (...parts: string[]) => path.join(agent.dataDir, ...parts);
  /** Makes a folder tree under the data dir: names ending in "/" are folders, others files. */
  const tree = (root: string, entries: Record<string, string>) => {
    mkdirSync(inData(root), { recursive: true });
    for (const [name, content] of Object.entries(entries)) {
      if (name.endsWith("/")) mkdirSync(inData(root, name), { recursive: true });
      else {
        mkdirSync(path.dirname(inData(root, name)), { recursive: true });
        writeFileSync(inData(root, name), content);
      }
    }
  };

  before(async () => {
    ({ agent, client } = await sharedAgentWithRawClient({ transport: "tcp" }));
  });

  after(() => stopAgentWithClient({ agent, client }));

  describe("ListDir", () => {
    it("lists names sorted by their bytes with is_dir, size, Go mode strings and RFC3339 times", async () => {
      tree("plain", { "b.txt": "12345", "a.txt": "", "Z.txt": "zz", "c/": "", "é.txt": "e" });
      chmodSync(inData("plain", "a.txt"), 0o600);
      chmodSync(inData("plain", "b.txt"), 0o644);
      chmodSync(inData("plain", "c"), 0o755);
      const when = new Date("2024-02-29T13:14:15.678Z");
      utimesSync(inData("plain", "b.txt"), when, when);
      const { entries } = await client.listDir({ path: "plain" });
      assert.deepEqual(
        entries.map((e) => e.path),
        ["Z.txt", "a.txt", "b.txt", "c", "é.txt"],
      );
      const byName = new Map(entries.map((e) => [e.path, e]));
      assert.deepEqual(pick(byName.get("b.txt")), { isDir: false, size: 5, mode: "-rw-r--r--" });
      assert.deepEqual(pick(byName.get("a.txt")), { isDir: false, size: 0, mode: "-rw-------" });
      assert.equal(byName.get("c")?.isDir, true);
      assert.equal(byName.get("c")?.mode, "drwxr-xr-x");
      for (const entry of entries) assert.match(entry.modTime, RFC3339_SECONDS, entry.path);
      // Second precision: the fraction is dropped, not rounded.
      assert.equal(Date.parse(byName.get("b.txt")!.modTime), Date.parse("2024-02-29T13:14:15Z"));
    });

    it("shows setuid, setgid and sticky bits as Go does", async () => {
      tree("special", { suid: "", "sticky/": "" });
      chmodSync(inData("special", "suid"), 0o6755);
      chmodSync(inData("special", "sticky"), 0o1777);
      const { entries } = await client.listDir({ path: "special" });
      assert.deepEqual(
        entries.map((e) => [e.path, e.mode]),
        [
          ["sticky", "dtrwxrwxrwx"],
          ["suid", "ugrwxr-xr-x"],
        ],
      );
    });

    it("answers NOT_FOUND for a missing folder and for a file", async () => {
      await rejectsWithCode(client.listDir({ path: "no-such-dir" }), status.NOT_FOUND);
      writeFileSync(inData("not-a-dir.txt"), "x");
      await rejectsWithCode(client.listDir({ path: "not-a-dir.txt" }), status.NOT_FOUND);
    });

    it("lists the data dir for an empty path", async () => {
      writeFileSync(inData("top-level-marker.txt"), "x");
      const { entries } = await client.listDir({ path: "" });
      assert.ok(entries.some((e) => e.path === "top-level-marker.txt"));
      assert.deepEqual(entries, (await client.listDir({ path: agent.dataDir })).entries);
    });

    it("lists recursively with relative paths in lexical pre-order, folders included, root excluded", async () => {
      tree("rec", { "b.txt": "1", "a.txt": "22", "b/c.txt": "333", "b/d/": "", "b/d/e.txt": "4", "a/": "" });
      const { entries } = await client.listDir({ path: "rec", recursive: true });
      // Go's WalkDir sorts each folder's entries and descends in place, so
      // "b/c.txt" comes before "b.txt" although "b.txt" < "b/c.txt" as strings.
      assert.deepEqual(
        entries.map((e) => e.path),
        ["a", "a.txt", "b", "b/c.txt", "b/d", "b/d/e.txt", "b.txt"],
      );
      const byPath = new Map(entries.map((e) => [e.path, e]));
      assert.equal(byPath.get("b/d")?.isDir, true);
      assert.equal(byPath.get("b/c.txt")?.isDir, false);
      assert.equal(byPath.get("b/c.txt")?.size, 3);
      assert.equal(byPath.get("b/d/e.txt")?.mode, "-rw-r--r--");
    });

    it("answers an empty list, not NOT_FOUND, for a recursive listing of a missing root", async () => {
      assert.deepEqual(await client.listDir({ path: "missing-root", recursive: true }), { entries: [] });
    });

    it("reports a symlink to a folder with is_dir false and an L mode, and does not descend into it", async () => {
      tree("links", { "target/": "", "target/inside.txt": "x" });
      symlinkSync("target", inData("links", "to-target"));
      for (const recursive of [false, true]) {
        const { entries } = await client.listDir({ path: "links", recursive });
        const link = entries.find((e) => e.path === "to-target");
        assert.ok(link, `recursive=${recursive}: no entry for the link`);
        assert.equal(link.isDir, false);
        assert.match(link.mode, /^Lrwxrwxrwx$/);
        assert.ok(!entries.some((e) => e.path.startsWith("to-target/")), "the walk followed the link");
      }
    });
  });

  describe("Stat", () => {
    it("follows symlinks and names the entry after the requested path's base name", async () => {
      tree("stat", { "target.txt": "hello world", "dir/": "" });
      symlinkSync("target.txt", inData("stat", "ln"));
      symlinkSync("dir", inData("stat", "dir-ln"));
      const { entry } = await client.stat("stat/ln");
      assert.deepEqual(pick(entry), { isDir: false, size: 11, mode: "-rw-r--r--" });
      assert.equal(entry?.path, "ln");
      assert.match(entry!.modTime, RFC3339_SECONDS);
      const dir = (await client.stat("stat/dir-ln")).entry;
      assert.equal(dir?.isDir, true);
      assert.match(dir!.mode, /^d/);
      assert.equal((await client.stat(inData("stat", "target.txt"))).entry?.path, "target.txt");
      assert.equal((await client.stat("/")).entry?.path, "/");
    });

    it("answers NOT_FOUND for a missing path", async () => {
      await rejectsWithCode(client.stat("stat/missing"), status.NOT_FOUND, "not found");
    });

    it("answers INVALID_ARGUMENT for an empty path", async () => {
      await rejectsWithCode(client.stat(""), status.INVALID_ARGUMENT, "path is required");
    });
  });

  describe("Mkdir", () => {
    it("creates nested folders with mode 0755 and succeeds again for an existing folder", async () => {
      await client.mkdir("mk/a/b/c");
      assert.ok(statSync(inData("mk", "a", "b", "c")).isDirectory());
      assert.equal((statSync(inData("mk", "a")).mode & 0o777).toString(8), "755");
      await client.mkdir("mk/a/b/c");
      await client.mkdir("mk/a");
    });

    it("answers INTERNAL for a path that is an existing file", async () => {
      writeFileSync(inData("mk-file"), "x");
      await rejectsWithCode(client.mkdir("mk-file"), status.INTERNAL);
      assert.ok(statSync(inData("mk-file")).isFile());
    });

    it("answers INVALID_ARGUMENT for an empty path", async () => {
      await rejectsWithCode(client.mkdir(""), status.INVALID_ARGUMENT, "path is required");
    });
  });

  describe("Rename", () => {
    it("creates the destination's parent folders", async () => {
      tree("mv", { "src.txt": "moving" });
      await client.rename("mv/src.txt", "mv/new/parents/dst.txt");
      assert.equal(readFileSync(inData("mv", "new", "parents", "dst.txt"), "utf8"), "moving");
      assert.equal(existsSync(inData("mv", "src.txt")), false);
    });

    it("overwrites an existing destination file", async () => {
      tree("mv2", { "from.txt": "new", "to.txt": "old" });
      await client.rename("mv2/from.txt", "mv2/to.txt");
      assert.equal(readFileSync(inData("mv2", "to.txt"), "utf8"), "new");
      assert.equal(existsSync(inData("mv2", "from.txt")), false);
    });

    it("moves a folder with its content", async () => {
      tree("mv3", { "dir/x.txt": "x" });
      await client.rename("mv3/dir", "mv3/moved");
      assert.equal(readFileSync(inData("mv3", "moved", "x.txt"), "utf8"), "x");
    });

    it('answers INVALID_ARGUMENT "old_path and new_path are required" for an empty path', async () => {
      await rejectsWithCode(client.rename("", "x"), status.INVALID_ARGUMENT, "old_path and new_path are required");
      await rejectsWithCode(client.rename("x", ""), status.INVALID_ARGUMENT, "old_path and new_path are required");
    });

    it("answers NOT_FOUND for a missing source", async () => {
      await rejectsWithCode(client.rename("mv/not-there.txt", "mv/elsewhere.txt"), status.NOT_FOUND);
    });

    it("answers INTERNAL for a folder onto a non-empty folder, and moves nothing", async () => {
      tree("mv4", { "a/one.txt": "1", "b/two.txt": "2" });
      await rejectsWithCode(client.rename("mv4/a", "mv4/b"), status.INTERNAL);
      assert.equal(readFileSync(inData("mv4", "a", "one.txt"), "utf8"), "1");
      assert.equal(readFileSync(inData("mv4", "b", "two.txt"), "utf8"), "2");
    });
  });

  describe("DeleteFile", () => {
    it("succeeds for a missing path", async () => {
      await client.deleteFile("del/never-existed");
      await client.deleteFile("del/never-existed", true);
    });

    it("fails with INTERNAL for a non-empty folder without recursive, and leaves it", async () => {
      tree("del1", { "keep/a.txt": "a" });
      await rejectsWithCode(client.deleteFile("del1/keep"), status.INTERNAL);
      assert.equal(readFileSync(inData("del1", "keep", "a.txt"), "utf8"), "a");
    });

    it("removes a whole tree with recursive", async () => {
      tree("del2", { "t/a.txt": "a", "t/sub/b.txt": "b", "t/sub/deeper/": "" });
      await client.deleteFile("del2/t", true);
      assert.equal(existsSync(inData("del2", "t")), false);
      assert.ok(existsSync(inData("del2")));
    });

    it("removes an empty folder and a file without recursive", async () => {
      tree("del3", { "empty/": "", "file.txt": "f" });
      await client.deleteFile("del3/empty");
      await client.deleteFile("del3/file.txt");
      assert.equal(existsSync(inData("del3", "empty")), false);
      assert.equal(existsSync(inData("del3", "file.txt")), false);
    });

    it("removes a symlink, not the folder it points at", async () => {
      tree("del4", { "real/x.txt": "x" });
      symlinkSync("real", inData("del4", "link"));
      await client.deleteFile("del4/link");
      assert.equal(existsSync(inData("del4", "link")), false);
      assert.equal(readFileSync(inData("del4", "real", "x.txt"), "utf8"), "x");
    });

    it("answers INVALID_ARGUMENT for an empty path", async () => {
      await rejectsWithCode(client.deleteFile(""), status.INVALID_ARGUMENT, "path is required");
    });
  });
});

function pick(entry: FileEntry | undefined) {
  assert.ok(entry, "no entry");
  return { isDir: entry.isDir, size: entry.size, mode: entry.mode };
}
