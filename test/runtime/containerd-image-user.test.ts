/** How the containerd runtime resolves an image's `User` (containerd's WithUser), without a containerd. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";

import { BadRequestError } from "../../packages/server/src/errors.js";
import { needsAccountFiles, readInRoot, resolveUser } from "../../packages/server/src/runtime/containerd/image-user.js";

const passwd = [
  "root:x:0:0:root:/root:/bin/bash",
  "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
  "app:x:1000:1001:App:/home/app:/bin/sh",
  "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
].join("\n");
const group = ["root:x:0:", "daemon:x:1:", "staff:x:50:app,daemon", "app:x:1001:", "docker:x:999:app"].join("\n");
const files = { passwd, group };

describe("containerd image user", () => {
  it("a user name is looked up in the image's /etc/passwd, with its groups, not taken as root", () => {
    assert.deepEqual(resolveUser("app", files), { uid: 1000, gid: 1001, additionalGids: [50, 999] });
    assert.deepEqual(resolveUser("nobody", files), { uid: 65534, gid: 65534 });
  });

  it("user:group takes either side by name or number", () => {
    assert.deepEqual(resolveUser("app:staff", files), { uid: 1000, gid: 50, additionalGids: [999] });
    assert.deepEqual(resolveUser("daemon:1001", files), { uid: 1, gid: 1001, additionalGids: [50] });
    assert.deepEqual(resolveUser("1000:app", files), { uid: 1000, gid: 1001, additionalGids: [50, 999] });
    assert.deepEqual(resolveUser("123:456", {}), { uid: 123, gid: 456 });
  });

  it("a lone uid takes its passwd gid, or 0 when it has no entry (not gid = uid)", () => {
    assert.deepEqual(resolveUser("1000", files), { uid: 1000, gid: 1001, additionalGids: [50, 999] });
    assert.deepEqual(resolveUser("4242", files), { uid: 4242, gid: 0 });
    assert.deepEqual(resolveUser("4242", {}), { uid: 4242, gid: 0 });
  });

  it("no user is root; an unknown name or group is an error naming it", () => {
    assert.deepEqual(resolveUser(undefined, {}), { uid: 0, gid: 0 });
    assert.deepEqual(resolveUser("", {}), { uid: 0, gid: 0 });
    assert.throws(
      () => resolveUser("ghost", files),
      (error: Error) => {
        assert.ok(error instanceof BadRequestError);
        assert.match(error.message, /"ghost" is not in the image's \/etc\/passwd/);
        return true;
      },
    );
    assert.throws(() => resolveUser("app:ghosts", files), /"ghosts" is not in the image's \/etc\/group/);
    assert.throws(() => resolveUser("app", {}), /not in the image's \/etc\/passwd/);
  });

  it("only a name, or a lone uid, needs the image's files", () => {
    assert.equal(needsAccountFiles(undefined), false);
    assert.equal(needsAccountFiles("12:34"), false);
    assert.equal(needsAccountFiles("12"), true);
    assert.equal(needsAccountFiles("app"), true);
    assert.equal(needsAccountFiles("12:staff"), true);
  });

  describe("reading inside a root filesystem", () => {
    let root: string;
    let outside: string;
    after(async () => {
      await rm(root, { recursive: true, force: true });
      await rm(outside, { recursive: true, force: true });
    });

    it("symlinks resolve inside the root, never to the host's files; FIFOs and folders are not read", async () => {
      root = await mkdtemp(path.join(tmpdir(), "botbox-root-"));
      outside = await mkdtemp(path.join(tmpdir(), "botbox-outside-"));
      await writeFile(path.join(outside, "secret"), "host secret");
      await mkdir(path.join(root, "etc"));
      await mkdir(path.join(root, "real"));
      await writeFile(path.join(root, "real", "passwd"), "in the root");
      await symlink("/real/passwd", path.join(root, "etc", "passwd"));
      assert.equal(await readInRoot(root, "/etc/passwd"), "in the root");
      await symlink(path.join(outside, "secret"), path.join(root, "etc", "group"));
      assert.equal(await readInRoot(root, "/etc/group"), undefined, "an absolute link stays inside the root");
      await symlink(`../../../../../../..${outside}/secret`, path.join(root, "etc", "shadow"));
      assert.equal(await readInRoot(root, "/etc/shadow"), undefined, ".. stops at the root");
      await symlink("loop", path.join(root, "etc", "loop"));
      assert.equal(await readInRoot(root, "/etc/loop"), undefined);
      assert.equal(await readInRoot(root, "/etc"), undefined);
      execFileSync("mkfifo", [path.join(root, "etc", "fifo")]);
      assert.equal(await readInRoot(root, "/etc/fifo"), undefined, "a FIFO would hang the read");
    });
  });
});
