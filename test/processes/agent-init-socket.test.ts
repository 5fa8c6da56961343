// The workspace's init binds the agent's socket once and hands it to every
// agent it starts (packages/agent/src/init/held-listener.ts): a restarted
// agent answers on the same socket even where it could not replace it (the
// sandbox as root makes the socket root's), a TCP port stays the same and a
// connection made while no agent runs waits for the next one, and no command
// the agent runs inherits the socket or the line to the init.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmod,
  chown,
  lchown,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { AgentClient } from "../../packages/server/src/client/index.js";
import { UnauthenticatedError } from "../../packages/server/src/errors.js";
import { agentPidOf, type RunningInit, startInit, stopInit } from "./init-support.js";

const asRoot = process.getuid?.() === 0;
/** The bot's user in the takeover test: any uid other than root's. */
const BOT_UID = 65534;

const isListening = (line: Record<string, unknown>) => line.msg === "agent listening";

const NOT_HELD = "not holding the agent's socket; each agent binds it itself";

/** The agent serves the socket the init holds, not one it bound itself. */
function assertHeld(init: RunningInit): void {
  assert.ok(!init.lines.some((line) => line.msg === NOT_HELD), "the init did not hold the socket");
}

/** The second "agent listening" line: the restarted agent's. */
function secondListening(init: RunningInit): Promise<Record<string, unknown>> {
  const first = init.lines.find(isListening);
  return init.waitFor((line) => isListening(line) && line !== first);
}

/** The inode of the listening Unix socket bound at `socketPath`, from /proc/net/unix. */
async function listeningInode(socketPath: string): Promise<string> {
  const table = await readFile("/proc/net/unix", "utf8");
  // Num RefCount Protocol Flags Type St Inode Path; flag 00010000 is __SO_ACCEPTCON (listening).
  const row = table
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .find((words) => words[7] === socketPath && words[3] === "00010000");
  assert.ok(row, `no listening socket at ${socketPath}`);
  return row[6]!;
}

/** `fd -> target` for every descriptor a process holds. */
async function descriptorsOf(pid: number): Promise<Map<string, string>> {
  const fds = new Map<string, string>();
  for (const fd of await readdir(`/proc/${pid}/fd`))
    fds.set(fd, await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "gone"));
  return fds;
}

describe("the init holds the agent's socket", { timeout: 120_000 }, () => {
  let dir: string;
  /** A preload that takes away the bind-only handle the init needs to hold the socket. */
  let noHeldSocket: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "botbox-init-socket-"));
    await chmod(dir, 0o755);
    noHeldSocket = path.join(dir, "no-held-socket.cjs");
    await writeFile(noHeldSocket, 'require("node:net")._createServerHandle = undefined;\n', { mode: 0o644 });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * As the sandbox run as root lays it out: the run folder is root's, the
   * bot's group may write in it, sticky; the init and agent run as the bot,
   * and the host takes the socket over once the agent answers. Then the
   * agent is killed. `nodeArgs` may switch the held socket off.
   */
  async function killAfterTakeover(name: string, nodeArgs: string[] = []) {
    const root = path.join(dir, name);
    const run = path.join(root, "run");
    const socket = path.join(run, "agent.sock");
    await mkdir(path.join(root, "data"), { recursive: true });
    await mkdir(run);
    await chmod(root, 0o755);
    await chown(path.join(root, "data"), BOT_UID, BOT_UID);
    await chown(run, 0, BOT_UID);
    await chmod(run, 0o1770);
    const init = startInit(root, { MCP_LISTEN_ADDR: `unix:${socket}` }, { uid: BOT_UID, gid: BOT_UID, nodeArgs });
    await init.waitFor(isListening);
    // The host's takeover (sandbox-runtime.ts, claimAgentSocket).
    await lchown(socket, 0, 0);
    const taken = await lstat(socket);
    const unlinkAsBot = spawnSync(process.execPath, ["-e", `require("fs").unlinkSync(${JSON.stringify(socket)})`], {
      uid: BOT_UID,
      gid: BOT_UID,
      encoding: "utf8",
    });
    assert.notEqual(unlinkAsBot.status, 0, "the bot could remove the socket: it would not need the init's");
    assert.match(unlinkAsBot.stderr, /EPERM/);
    const first = await agentPidOf(init.child);
    process.kill(first, "SIGKILL");
    return { init, socket, taken, first };
  }

  it(
    "a restarted agent answers on the socket the host took over, which the bot can no longer replace",
    { skip: !asRoot && "taking the socket over needs root" },
    async () => {
      const { init, socket, taken, first } = await killAfterTakeover("held");
      const client = new AgentClient({ address: `unix:${socket}` });
      try {
        await init.waitFor((line) => line.msg === "agent listening again");
        assert.equal((await client.info({ timeoutMs: 10_000 })).botId, "init-test", "the new agent answers");
        assert.notEqual(await agentPidOf(init.child), first);
        const now = await lstat(socket);
        assert.deepEqual([now.ino, now.uid], [taken.ino, 0], "the same root-owned socket, never replaced");
        assertHeld(init);
      } finally {
        client.close();
        await stopInit(init);
      }
    },
  );

  it(
    "without the held socket (each agent binds its own) the same restart fails and the workspace ends",
    { skip: !asRoot && "taking the socket over needs root" },
    async () => {
      // The init then leaves binding to each agent, as before it held the socket.
      const { init } = await killAfterTakeover("not-held", ["-r", noHeldSocket]);
      try {
        await init.waitFor((line) => line.msg === NOT_HELD);
        await init.waitFor(
          (line) => line.msg === "the agent ended before it was listening; not starting it again",
          30_000,
        );
        assert.ok(
          init.lines.some((line) => /EPERM|EADDRINUSE/.test(JSON.stringify(line))),
          "the rebind failed",
        );
      } finally {
        await stopInit(init);
      }
    },
  );

  it("a TCP port stays the same across a restart, and a call made while no agent runs is answered by the next", async () => {
    // A long backoff: the call below is made well inside the gap.
    const init = startInit(path.join(dir), {
      MCP_LISTEN_ADDR: "127.0.0.1:0",
      BOTBOX_INIT_BACKOFF_MS: "1500,1500,60000",
    });
    let client: AgentClient | undefined;
    try {
      const firstLine = await init.waitFor(isListening);
      const address = String(firstLine.address);
      assert.match(address, /^127\.0\.0\.1:[1-9]\d*$/, "the port the init bound, as the agent reports it");
      client = new AgentClient({ address });
      await client.info({ timeoutMs: 10_000 });

      process.kill(await agentPidOf(init.child), "SIGKILL");
      await init.waitFor((line) => line.msg === "agent ended; starting it again");
      // A new connection, made in the gap: the old one may still be the
      // dead agent's in the client's eyes, and a call on it fails at once.
      client.close();
      client = new AgentClient({ address });
      const askedAt = Date.now();
      const info = await client.info({ timeoutMs: 15_000 });
      assert.equal(info.botId, "init-test");
      assert.ok(
        init.lines.some((line) => line.msg === "agent listening again"),
        "answered by the restarted agent",
      );
      assert.ok(Date.now() - askedAt >= 500, "the call waited for the next agent rather than failing at once");
      assert.equal((await secondListening(init)).address, address, "the same port, never bound again");
      assertHeld(init);
    } finally {
      client?.close();
      await stopInit(init);
    }
  });

  it("a command the agent runs holds neither the listening socket nor a line to the init", async () => {
    const socket = path.join(dir, "agent.sock");
    const init = startInit(dir);
    const client = new AgentClient({ address: `unix:${socket}` });
    try {
      await init.waitFor(isListening);
      const listener = `socket:[${await listeningInode(socket)}]`;
      // The check can fail: the init, which holds the socket, shows it.
      assert.ok([...(await descriptorsOf(init.child.pid!)).values()].includes(listener), "the init holds it");

      const listed = await client.exec("ls -l /proc/$$/fd/");
      assert.equal(listed.exitCode, 0, listed.stderr);
      const held = [...listed.stdout.matchAll(/ (\d+) -> (.*)$/gm)].map(([, fd = "", target = ""]) => ({ fd, target }));
      assert.ok(held.length >= 3, listed.stdout);
      assert.ok(!held.some(({ target }) => target === listener), `the command holds the listener: ${listed.stdout}`);
      // Beyond its stdio, a socket that this test does not hold itself (and
      // so passed down) would be the agent's end of its line to the init.
      const ours = new Set((await descriptorsOf(process.pid)).values());
      const sockets = held.filter(
        ({ fd, target }) => Number(fd) > 2 && target.startsWith("socket:") && !ours.has(target),
      );
      assert.deepEqual(sockets, [], listed.stdout);
    } finally {
      client.close();
      await stopInit(init);
    }
  });

  it("the handed socket still asks for the agent's token: refused without it, answered with it", async () => {
    const socket = path.join(dir, "agent.sock");
    const token = "init-socket-token";
    const init = startInit(dir, { BOTBOX_AGENT_TOKEN: token });
    const intruder = new AgentClient({ address: `unix:${socket}`, token: "not-the-token" });
    const owner = new AgentClient({ address: `unix:${socket}`, token });
    try {
      await init.waitFor(isListening);
      assertHeld(init);
      await assert.rejects(intruder.info({ timeoutMs: 10_000 }), UnauthenticatedError);
      assert.equal((await owner.info({ timeoutMs: 10_000 })).botId, "init-test");
    } finally {
      intruder.close();
      owner.close();
      await stopInit(init);
    }
  });

  it("an address the init cannot hold (a host name) is left to the agent, which binds it itself", async () => {
    const init = startInit(dir, { MCP_LISTEN_ADDR: "localhost:0" });
    try {
      const warning = await init.waitFor((line) => line.msg === NOT_HELD);
      assert.match(String(warning.reason), /localhost is a name/);
      await init.waitFor(isListening);
    } finally {
      await stopInit(init);
    }
  });
});
