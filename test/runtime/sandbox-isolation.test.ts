import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { AgentClient } from "../../packages/server/src/client/index.js";
import { AgentError, UnauthenticatedError } from "../../packages/server/src/errors.js";
import type { ContainerSpec } from "../../packages/server/src/runtime/runtime.js";
import { DEFAULT_IMAGE, FIRST_HOST_ID } from "../../packages/server/src/runtime/sandbox/index.js";
import { botPaths } from "../../packages/server/src/runtime/sandbox/layout.js";
import { sandboxSuite } from "./support.js";

const run = promisify(execFile);
const asRoot = process.getuid?.() === 0;
const hasIpcmk = spawnSync("ipcmk", ["--version"]).error === undefined;
const TEMPLATES = fileURLToPath(new URL("../../packages/agent/templates", import.meta.url));

describe("sandbox isolation", () => {
  const suite = sandboxSuite();
  const bots: { spec: ContainerSpec; client: AgentClient }[] = [];
  const owners = new Map<string, { uid: number; gid: number }>();
  const owner = (spec: ContainerSpec) => owners.get(spec.botId)!;
  const sh = async (client: AgentClient, command: string) => client.exec(command);
  /** A bot of the test's own, for tests that stop and start its task. */
  const startBot = async () => {
    const [spec, client] = await suite.started();
    return { spec, client };
  };
  const restart = async (spec: ContainerSpec) => {
    assert.equal((await suite.runtime.stopTask(spec.id, { timeoutMs: 5_000 })).state, "stopped");
    return suite.startedAgain(spec);
  };
  /** The command must fail because its target is mounted read-only, not for want of permission. */
  const refusedAsReadOnly = async (client: AgentClient, command: string) => {
    const result = await sh(client, command);
    assert.notEqual(result.exitCode, 0, `${command} succeeded`);
    assert.match(result.stderr, /Read-only file system/, `${command}: ${result.stderr}`);
  };

  before(async () => {
    for (const network of ["none", "host"] as const) {
      const [spec, client] = await suite.started({ network });
      bots.push({ spec, client });
    }
    for (const { spec } of bots)
      owners.set(
        spec.botId,
        JSON.parse(await readFile(path.join(suite.home, "bots", spec.botId, "owner.json"), "utf8")),
      );
    await bots[1]!.client.writeFile("/data/secret.txt", "B's secret");
  });

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
    assert.notEqual((await sh(a.client, `ls ${suite.home}`)).exitCode, 0);
    assert.notEqual((await sh(a.client, `ls ${path.join(suite.home, "bots", b.spec.botId)}`)).exitCode, 0);
    const stolen = await sh(
      a.client,
      `cat ${path.join(suite.home, "bots", b.spec.botId, "state/upper/data/secret.txt")}`,
    );
    assert.notEqual(stolen.exitCode, 0);
    // Its run folder holds its agent's socket and the agent's own log (docs/metrics.md), nothing else.
    const runFolder = (await sh(a.client, "ls -A /run/botbox")).stdout.trim().split("\n");
    assert.ok(runFolder.includes("agent.sock"), runFolder.join(" "));
    for (const entry of runFolder) assert.match(entry, /^agent\.(sock|log(\.\d+)?)$/);
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
    const file = await stat(path.join(suite.home, "bots", a.spec.botId, "state/upper/data/mine.txt"));
    assert.ok(file.uid >= FIRST_HOST_ID, `uid ${file.uid}`);
    assert.equal(file.uid, owner(a.spec).uid);
    assert.notEqual(owner(a.spec).uid, owner(b.spec).uid);
    const folder = await stat(path.join(suite.home, "bots", a.spec.botId));
    assert.equal(folder.mode & 0o777, 0o710);
    assert.equal(folder.uid, 0);
    assert.equal(folder.gid, owner(a.spec).gid);
    const runDir = await stat(path.join(suite.home, "bots", a.spec.botId, "run"));
    // Root's, the bot's group may create there, sticky: the socket the host took over stays put.
    assert.equal(runDir.mode & 0o7777, 0o1770);
    assert.equal(runDir.uid, 0);
    assert.equal(runDir.gid, owner(a.spec).gid);
    // The server (root) reaches the socket: the clients above are connected.
    // B's host user cannot enter A's folder.
    const { uid, gid } = owner(b.spec);
    for (const attempt of [
      ["ls", path.join(suite.home, "bots", a.spec.botId)],
      ["cat", path.join(suite.home, "bots", a.spec.botId, "container.json")],
    ])
      await assert.rejects(
        run("setpriv", [`--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", ...attempt]),
        attempt.join(" "),
      );
  });

  it("the agent answers only calls that carry its own bot's token", async () => {
    const [a, b] = [bots[0]!, bots[1]!];
    const paths = botPaths(suite.home, a.spec.botId);
    const address = `unix:${paths.socket}`;
    assert.deepEqual(await suite.runtime.agentEndpoint(a.spec.id), { address, token: a.spec.agentToken });
    // Another bot's token has the same length as the right one.
    for (const token of [undefined, "wrong", b.spec.agentToken]) {
      const client = new AgentClient({ address, ...(token === undefined ? {} : { token }) });
      try {
        await assert.rejects(client.info({ timeoutMs: 5_000 }), UnauthenticatedError, `token ${token}`);
        await assert.rejects(client.exec("echo ran > /data/intruder.txt"), UnauthenticatedError);
        await assert.rejects(client.writeFile("/data/intruder.txt", "written"), UnauthenticatedError);
      } finally {
        client.close();
      }
    }
    assert.equal(existsSync(path.join(paths.state, "upper", "data", "intruder.txt")), false, "a refused call ran");
    const rightful = new AgentClient({ address, token: a.spec.agentToken });
    try {
      assert.equal((await rightful.info({ timeoutMs: 5_000 })).botId, a.spec.botId);
      assert.equal((await rightful.exec("echo ok")).stdout, "ok\n");
    } finally {
      rightful.close();
    }
  });

  it("/, /usr, /etc and /opt are read-only: writes fail and the host's copies stay as they were", async () => {
    const { spec, client } = bots[0]!;
    const staged = path.join(suite.home, "opt");
    const templates = (await readdir(staged)).filter((name) => name.startsWith("mcp-template-"));
    assert.equal(templates.length, 1, `staged templates: ${templates.join(", ")}`);
    // Staging may hard-link agent.js to the build's own bundle, so the bot
    // only sets its times (touch -c, which does not open it first and so
    // meets the mount's check before the permission check): harmless should
    // it ever succeed. The others are botbox's own copies, and the bot tries
    // to overwrite them.
    const hostCopies: Record<string, string> = {
      "/opt/botbox/agent.js": path.join(staged, "botbox", "agent.js"),
      "/opt/mcp-template/SOUL.md": path.join(staged, templates[0]!, "SOUL.md"),
      "/etc/passwd": path.join(suite.home, "images", encodeURIComponent(DEFAULT_IMAGE), "etc", "passwd"),
      "/etc/hosts": path.join(botPaths(suite.home, spec.botId).etc, "hosts"),
    };
    const fingerprint = async (file: string) => {
      const [content, info] = await Promise.all([readFile(file), stat(file)]);
      return { content, mtimeMs: info.mtimeMs, size: info.size };
    };
    const before = new Map<string, Awaited<ReturnType<typeof fingerprint>>>();
    for (const [inside, host] of Object.entries(hostCopies)) {
      before.set(inside, await fingerprint(host));
      // The bot sees the host's copy.
      assert.equal((await sh(client, `wc -c < ${inside}`)).stdout.trim(), String(before.get(inside)!.size), inside);
      await refusedAsReadOnly(
        client,
        inside.startsWith("/opt/botbox/") ? `touch -c ${inside}` : `echo overwritten > ${inside}`,
      );
    }
    const probes = ["/usr", "/usr/bin", "/", "/etc", "/opt", "/opt/botbox", "/opt/mcp-template"].map((folder) =>
      path.posix.join(folder, "bbx-probe"),
    );
    for (const probe of probes) await refusedAsReadOnly(client, `touch ${probe}`);
    await refusedAsReadOnly(client, "mkdir /bbx-probe-dir");
    // The agent's own file calls meet the same wall (the agent reports EROFS as INTERNAL).
    for (const target of ["/opt/botbox/agent.js", "/usr/bbx-probe", "/etc/passwd"])
      await assert.rejects(
        client.writeFile(target, "overwritten"),
        (error: unknown) => error instanceof AgentError && /read-only file system/.test(error.message),
        target,
      );
    for (const [inside, host] of Object.entries(hostCopies))
      assert.deepEqual(await fingerprint(host), before.get(inside), `host copy of ${inside} changed`);
    for (const probe of ["/usr/bbx-probe", "/usr/bin/bbx-probe", path.join(staged, "botbox", "bbx-probe")])
      assert.equal(existsSync(probe), false, probe);
  });

  it("/opt/mcp-template holds the templates; every start seeds what /data lacks and keeps what the bot changed", async () => {
    const names = (await readdir(TEMPLATES, { withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name)
      .sort();
    assert.ok(names.length >= 2, `templates: ${names.join(", ")}`);
    const template = async (name: string) => readFile(path.join(TEMPLATES, name), "utf8");
    const { spec, client } = await startBot();
    const listed = (await sh(client, "ls -A /opt/mcp-template")).stdout.split("\n").filter(Boolean).sort();
    assert.deepEqual(listed, names);
    for (const name of names) {
      assert.equal((await sh(client, `cat /opt/mcp-template/${name}`)).stdout, await template(name), name);
      assert.equal((await sh(client, `cat /data/${name}`)).stdout, await template(name), `/data/${name}`);
    }
    const [changed, removed] = [names[0]!, names[1]!];
    const edit = await sh(client, `echo 'the bot wrote this' > /data/${changed} && rm /data/${removed}`);
    assert.equal(edit.exitCode, 0, edit.stderr);
    const restarted = await restart(spec);
    assert.equal((await sh(restarted, `cat /data/${changed}`)).stdout, "the bot wrote this\n");
    assert.equal((await sh(restarted, `cat /data/${removed}`)).stdout, await template(removed));
  });

  it("what a bot writes to /data /app /tmp /root /home lands in its own folder and survives a restart", async () => {
    const { spec, client } = await startBot();
    // The live state: no snapshot yet, so nothing is stacked below it.
    const live = path.join(botPaths(suite.home, spec.botId).state, "upper");
    const folders = ["data", "app", "tmp", "root", "home"];
    for (const folder of folders) {
      const write = await sh(client, `echo 'kept in ${folder}' > /${folder}/kept.txt`);
      assert.equal(write.exitCode, 0, write.stderr);
      assert.equal(await readFile(path.join(live, folder, "kept.txt"), "utf8"), `kept in ${folder}\n`);
    }
    // /tmp is part of the state, not a tmpfs; /var/tmp is the same folder.
    assert.equal((await sh(client, "echo 'via /var/tmp' > /var/tmp/var.txt")).exitCode, 0);
    assert.equal(await readFile(path.join(live, "tmp", "var.txt"), "utf8"), "via /var/tmp\n");
    assert.equal((await sh(client, "stat -c %a /tmp")).stdout.trim(), "1777");
    const restarted = await restart(spec);
    for (const folder of folders)
      assert.equal((await sh(restarted, `cat /${folder}/kept.txt`)).stdout, `kept in ${folder}\n`, folder);
    assert.equal((await sh(restarted, "cat /var/tmp/var.txt")).stdout, "via /var/tmp\n");
  });

  it(
    "a bot has its own System V IPC: it sees none of the host's queues and segments, the host none of its",
    { skip: !hasIpcmk && "util-linux's ipcmk is not installed" },
    async () => {
      const { client } = bots[0]!;
      /** The key of the object `id` in an `ipcs` listing. */
      const keyOf = (listing: string, id: string) =>
        listing
          .split("\n")
          .map((line) => line.trim().split(/\s+/))
          .find((columns) => columns[1] === id)?.[0];
      const idIn = (output: string) => /id: (\d+)/.exec(output)?.[1];
      const made: { kind: "-q" | "-m"; id: string }[] = [];
      try {
        for (const [kind, args] of [
          ["-q", ["-Q"]],
          ["-m", ["-M", "1024"]],
        ] as const) {
          const id = idIn((await run("ipcmk", [...args])).stdout);
          assert.ok(id, "ipcmk printed no id");
          made.push({ kind, id });
          const key = keyOf((await run("ipcs", [kind])).stdout, id);
          assert.ok(key, `the host lists its ${kind} ${id}`);
          const inside = await sh(client, `ipcs ${kind}`);
          assert.equal(inside.exitCode, 0, inside.stderr);
          assert.equal(keyOf(inside.stdout, id), undefined, `the bot lists the host's ${kind} ${id}`);
          assert.equal(inside.stdout.includes(key), false, `the bot lists the host's key ${key}`);
        }
        const own = await sh(client, "ipcmk -Q");
        const id = idIn(own.stdout);
        assert.ok(id, `the bot's ipcmk: ${own.stderr}`);
        try {
          const key = keyOf((await sh(client, "ipcs -q")).stdout, id);
          assert.ok(key, "the bot lists its own queue");
          assert.equal((await run("ipcs", ["-q"])).stdout.includes(key), false, "the host lists the bot's queue");
        } finally {
          await sh(client, `ipcrm -q ${id}`);
        }
      } finally {
        for (const { kind, id } of made) await run("ipcrm", [kind, id]).catch(() => {});
      }
    },
  );
});
