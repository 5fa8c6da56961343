import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";

import type { AgentClient } from "../../packages/server/src/client/index.js";
import type { ContainerSpec } from "../../packages/server/src/runtime/runtime.js";
import { FIRST_HOST_ID, type SandboxRuntime } from "../../packages/server/src/runtime/sandbox/index.js";
import { botSpec, closeSandbox, Janitor, openSandbox, waitForAgent } from "./support.js";

const run = promisify(execFile);
const asRoot = process.getuid?.() === 0;

describe("sandbox isolation", () => {
  let home: string;
  let runtime: SandboxRuntime;
  const janitor = new Janitor();
  const bots: { spec: ContainerSpec; client: AgentClient }[] = [];
  const owners = new Map<string, { uid: number; gid: number }>();
  const owner = (spec: ContainerSpec) => owners.get(spec.botId)!;
  const sh = async (client: AgentClient, command: string) => client.exec(command);

  before(async () => {
    ({ home, runtime } = await openSandbox());
    for (const network of ["none", "host"] as const) {
      const spec = botSpec({ network });
      janitor.track(runtime, spec.id);
      await runtime.createContainer(spec);
      await runtime.startTask(spec.id);
      bots.push({ spec, client: janitor.client(await waitForAgent(runtime, spec.id)) });
    }
    for (const { spec } of bots)
      owners.set(spec.botId, JSON.parse(await readFile(path.join(home, "bots", spec.botId, "owner.json"), "utf8")));
    await bots[1]!.client.writeFile("/data/secret.txt", "B's secret");
  });
  after(() => closeSandbox(janitor, home));

  it("a bot sees its own sandbox only: not botbox's home, not another bot", async () => {
    const [a, b] = [bots[0]!, bots[1]!];
    const root = (await sh(a.client, "ls -A /")).stdout.split("\n").filter(Boolean);
    for (const entry of ["data", "app", "tmp", "root", "home", "usr", "etc", "opt", "run", "proc", "dev"])
      assert.ok(root.includes(entry), `/${entry} exists`);
    for (const entry of root)
      assert.ok(
        [
          "bin",
          "sbin",
          "lib",
          "lib32",
          "lib64",
          "libx32",
          "data",
          "app",
          "tmp",
          "root",
          "home",
          "usr",
          "etc",
          "opt",
          "run",
          "proc",
          "dev",
          "var",
        ].includes(entry),
        `unexpected /${entry}`,
      );
    assert.notEqual((await sh(a.client, `ls ${home}`)).exitCode, 0);
    assert.notEqual((await sh(a.client, `ls ${path.join(home, "bots", b.spec.botId)}`)).exitCode, 0);
    const stolen = await sh(a.client, `cat ${path.join(home, "bots", b.spec.botId, "state/upper/data/secret.txt")}`);
    assert.notEqual(stolen.exitCode, 0);
    assert.equal((await sh(a.client, "ls -A /run/botbox")).stdout.trim(), "agent.sock");
    assert.equal((await sh(a.client, "ls -A /data")).stdout.includes("secret.txt"), false);
    const environ = await sh(a.client, "cat /proc/[0-9]*/environ | tr '\\0' '\\n'");
    assert.equal(environ.stdout.includes(b.spec.agentToken), false, "B's token is nowhere in A's processes");
  });

  it("host secrets are invisible", async () => {
    const { client } = bots[0]!;
    assert.notEqual((await sh(client, "cat /etc/shadow")).exitCode, 0);
    const etc = (await sh(client, "ls -A /etc")).stdout.split("\n");
    for (const secret of ["shadow", "gshadow", "ssh", "sudoers"]) assert.ok(!etc.includes(secret), `/etc/${secret}`);
    assert.equal((await sh(client, "cat /etc/passwd | cut -d: -f1")).stdout, "root\nnobody\n");
    assert.notEqual((await sh(client, "ls /root/.ssh")).exitCode, 0);
  });

  it("the hostname comes from the bot id, and tools that use /etc work", async () => {
    const { spec, client } = bots[0]!;
    assert.equal((await sh(client, "hostname")).stdout.trim(), spec.id.toLowerCase());
    assert.equal((await sh(client, "whoami")).stdout.trim(), "root");
    assert.equal((await sh(client, "echo hi | awk '{print $1}'")).stdout.trim(), "hi");
  });

  it("network host shares the host's interfaces; none has loopback only", async () => {
    const names = (text: string) =>
      text
        .split("\n")
        .slice(2)
        .filter(Boolean)
        .map((line) => line.split(":")[0]!.trim())
        .sort();
    const host = names(await readFile("/proc/net/dev", "utf8"));
    assert.deepEqual(names((await sh(bots[1]!.client, "cat /proc/net/dev")).stdout), host);
    assert.deepEqual(names((await sh(bots[0]!.client, "cat /proc/net/dev")).stdout), ["lo"]);
  });

  it("as root, each bot is its own unprivileged host user", { skip: !asRoot && "needs root" }, async () => {
    const [a, b] = [bots[0]!, bots[1]!];
    await sh(a.client, "echo mine > /data/mine.txt");
    const file = await stat(path.join(home, "bots", a.spec.botId, "state/upper/data/mine.txt"));
    assert.ok(file.uid >= FIRST_HOST_ID, `uid ${file.uid}`);
    assert.equal(file.uid, owner(a.spec).uid);
    assert.notEqual(owner(a.spec).uid, owner(b.spec).uid);
    const folder = await stat(path.join(home, "bots", a.spec.botId));
    assert.equal(folder.mode & 0o777, 0o710);
    assert.equal(folder.uid, 0);
    assert.equal(folder.gid, owner(a.spec).gid);
    const runDir = await stat(path.join(home, "bots", a.spec.botId, "run"));
    assert.equal(runDir.mode & 0o777, 0o700);
    // The server (root) reaches the socket: the clients above are connected.
    // B's host user cannot enter A's folder.
    const { uid, gid } = owner(b.spec);
    await assert.rejects(
      run("setpriv", [
        `--reuid=${uid}`,
        `--regid=${gid}`,
        "--clear-groups",
        "ls",
        path.join(home, "bots", a.spec.botId),
      ]),
    );
    await assert.rejects(
      run("setpriv", [
        `--reuid=${uid}`,
        `--regid=${gid}`,
        "--clear-groups",
        "cat",
        path.join(home, "bots", a.spec.botId, "container.json"),
      ]),
    );
  });
});
