import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";

import type { AgentProcess } from "../../../../test/support/agent-process.js";
import { stopAgentWithClient } from "../../../../test/support/agent-with-client.js";
import { SHARED_AGENT_TOKEN, sharedAgentWithClient } from "../../../../test/support/shared-agent.js";
import type { AgentClient } from "./agent-client.js";
import { parseGoMode } from "./file-entry.js";

describe("Go mode strings", () => {
  it("give the kind and the permission bits", () => {
    assert.deepEqual(parseGoMode("-rw-r--r--", false), { kind: "file", permissions: 0o644 });
    assert.deepEqual(parseGoMode("drwxr-xr-x", true), { kind: "dir", permissions: 0o755 });
    assert.deepEqual(parseGoMode("Lrwxrwxrwx", false), { kind: "symlink", permissions: 0o777 });
    assert.deepEqual(parseGoMode("prw-------", false), { kind: "other", permissions: 0o600 });
    assert.deepEqual(parseGoMode("Srwxr-xr-x", false), { kind: "other", permissions: 0o755 });
    assert.deepEqual(parseGoMode("Dcrw-rw-rw-", false), { kind: "other", permissions: 0o666 });
    assert.deepEqual(parseGoMode("Drw-rw----", false), { kind: "other", permissions: 0o660 });
  });

  it("read u, g and t as set-uid, set-gid and sticky bits of a plain file or folder", () => {
    assert.deepEqual(parseGoMode("urwxr-xr-x", false), { kind: "file", permissions: 0o4755 });
    assert.deepEqual(parseGoMode("ugrwxr-xr-x", false), { kind: "file", permissions: 0o6755 });
    assert.deepEqual(parseGoMode("dtrwxrwxrwx", true), { kind: "dir", permissions: 0o1777 });
  });

  it("never call a string they do not know a plain file", () => {
    for (const mode of ["", "rw-r--r--", "?rw-r--r--", "-rw-r--r--x", "-rwZr--r--"]) {
      assert.deepEqual(parseGoMode(mode, false), { kind: "other", permissions: 0 }, mode);
    }
    assert.equal(parseGoMode("nonsense", true).kind, "dir");
  });
});

describe("AgentClient's entries from a real agent", () => {
  let agent: AgentProcess;
  let client: AgentClient;
  before(async () => {
    ({ agent, client } = await sharedAgentWithClient({ token: SHARED_AGENT_TOKEN }));
  });
  after(() => stopAgentWithClient({ agent, client }));

  it("are typed: kind, permissions and size as a number, as the listing and stat see them", async () => {
    const inData = (name: string) => path.join(agent.dataDir, "kinds", name);
    await mkdir(inData("folder"), { recursive: true });
    await writeFile(inData("plain.txt"), "12345");
    await chmod(inData("plain.txt"), 0o640);
    await writeFile(inData("tool"), "#!/bin/sh\n");
    await chmod(inData("tool"), 0o4755);
    await symlink("plain.txt", inData("link"));
    await promisify(execFile)("mkfifo", [inData("pipe")]);

    const byName = new Map((await client.listDir("kinds")).map((entry) => [entry.path, entry]));
    const view = (name: string) => {
      const entry = byName.get(name)!;
      return { kind: entry.kind, isDir: entry.isDir, permissions: entry.permissions.toString(8) };
    };
    assert.deepEqual(view("plain.txt"), { kind: "file", isDir: false, permissions: "640" });
    assert.deepEqual(view("tool"), { kind: "file", isDir: false, permissions: "4755" });
    assert.deepEqual(view("folder"), { kind: "dir", isDir: true, permissions: "755" });
    assert.equal(view("link").kind, "symlink");
    assert.equal(view("pipe").kind, "other");
    assert.equal(byName.get("plain.txt")!.size, 5);
    assert.equal(byName.get("plain.txt")!.mode, "-rw-r-----");

    // Stat follows the link to the plain file.
    const followed = await client.stat("kinds/link");
    assert.deepEqual([followed.kind, followed.size], ["file", 5]);
  });
});
