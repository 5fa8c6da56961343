// Issue 13 §6: a bot cannot signal, ptrace or read the processes of another
// bot, nor find its files, agent socket or token through /proc. Each attempt
// is made from bot A against a process of bot B whose host pid the test
// looks up; the control makes the same attempt inside one bot, where it
// works, so each test can fail. Two bots on a default server, a few
// sleeping processes, everything deleted at the end.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";

import { type BotboxServer, startBotboxServer, TEST_RUNTIME } from "../support/botbox-server.js";
import { botAgent, execIn, removeServer } from "../support/bots.js";

const asRoot = process.getuid?.() === 0;

/** The host pids whose command line is exactly `argv`. */
async function hostPidsOf(argv: string[]): Promise<number[]> {
  const wanted = `${argv.join("\0")}\0`;
  const pids: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, "latin1").catch(() => "");
    if (cmdline === wanted) pids.push(Number(name));
  }
  return pids;
}

async function alive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe(`one bot's processes out of another's reach (${TEST_RUNTIME})`, { skip: !asRoot && "needs root" }, () => {
  let server: BotboxServer;
  const bots = ["proc-a", "proc-b"];
  // Unusual sleep lengths name each bot's sleeper in the host's process list.
  const marker = 900_000 + (process.pid % 90_000);
  const sleeperOf = { "proc-a": String(marker), "proc-b": String(marker + 1) };
  const hostPid: Record<string, number> = {};
  const secret = randomBytes(12).toString("hex");

  const exec = (botId: string, command: string) => execIn(server, botId, command);

  before(async () => {
    server = await startBotboxServer();
    for (const id of bots) {
      assert.equal((await server.api("POST", "/bots", { id, name: id })).status, 201);
      const started = await server.api("POST", `/bots/${id}/container`);
      assert.equal(started.status, 201, JSON.stringify(started.body));
      const sleeper = sleeperOf[id as keyof typeof sleeperOf];
      // setsid: the sleeper outlives the exec call that started it.
      await exec(id, `setsid sleep ${sleeper} </dev/null >/dev/null 2>&1 & echo ${secret}-${id} > /data/secret`);
      for (let tries = 0; tries < 50 && hostPid[id] === undefined; tries++) {
        const [found] = await hostPidsOf(["sleep", sleeper]);
        if (found === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
        else hostPid[id] = found;
      }
      assert.ok(hostPid[id], `the sleeper of ${id} shows in the host's process list`);
    }
  });
  after(() => removeServer(server, bots));

  it("cannot see another bot's processes in /proc, its own are there", async () => {
    const listing = await exec("proc-a", "ls /proc; echo; ps -eo args 2>/dev/null || true");
    assert.ok(!listing.stdout.split(/\s+/).includes(String(hostPid["proc-b"])), "B's host pid is not in A's /proc");
    assert.ok(!listing.stdout.includes(`sleep ${sleeperOf["proc-b"]}`), "B's sleeper is not among A's processes");
    assert.ok(listing.stdout.includes(`sleep ${sleeperOf["proc-a"]}`), "A's own sleeper is listed (control)");
  });

  it("cannot signal another bot's process; kills its own", async () => {
    const victim = hostPid["proc-b"]!;
    const attempt = await exec("proc-a", `kill -9 ${victim}; echo "exit=$?"`);
    assert.match(attempt.stdout, /exit=1/, JSON.stringify(attempt));
    assert.match(attempt.stderr, /No such process/);
    assert.ok(await alive(victim), "B's process survived");
    // Control: the same kill of its own sleeper, by the pid A sees.
    const own = await exec("proc-a", `pid=$(pgrep -xf 'sleep ${sleeperOf["proc-a"]}'); kill -9 "$pid"; echo "exit=$?"`);
    assert.match(own.stdout, /exit=0/, JSON.stringify(own));
    for (let tries = 0; tries < 50 && (await alive(hostPid["proc-a"]!)); tries++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await alive(hostPid["proc-a"]!), false, "A's own sleeper was killed");
  });

  it("cannot ptrace or read the memory of another bot's process; can its own child's", async () => {
    const victim = hostPid["proc-b"]!;
    // PTRACE_ATTACH (16) by ctypes, then the memory through /proc.
    const ptrace = (pid: string) =>
      `python3 -c 'import ctypes,os,sys; libc=ctypes.CDLL(None,use_errno=True); r=libc.ptrace(16,int(sys.argv[1]),0,0); print("ptrace", r, os.strerror(ctypes.get_errno()) if r else "ok")' ${pid}`;
    const readMemory = (pid: string) =>
      `python3 -c 'import sys; p=sys.argv[1]; m=open(f"/proc/{p}/maps").readline(); a=int(m.split("-")[0],16); f=open(f"/proc/{p}/mem","rb"); f.seek(a); print("read", len(f.read(16)))' ${pid}`;
    const hasPython = (await exec("proc-a", "command -v python3")).exit_code === 0;
    if (hasPython) {
      const attach = await exec("proc-a", `${ptrace(String(victim))}; ${readMemory(String(victim))}`);
      assert.match(attach.stdout, /ptrace -1 No such process/, JSON.stringify(attach));
      assert.doesNotMatch(attach.stdout, /read 16/);
      // Control: the same two calls on a child of its own.
      const own = await exec(
        "proc-a",
        `sleep 30 & p=$!; ${ptrace("$p")}; kill -CONT $p; ${readMemory("$p")}; kill -9 $p`,
      );
      assert.match(own.stdout, /ptrace 0 ok/, JSON.stringify(own));
      assert.match(own.stdout, /read 16/);
    }
    const gdb = await exec(
      "proc-a",
      `command -v gdb >/dev/null || exit 99; timeout 30 gdb -nx -batch -p ${victim} -ex 'info proc' 2>&1`,
    );
    if (gdb.exit_code !== 99) assert.match(gdb.stdout, /ptrace: No such process/, JSON.stringify(gdb));
    assert.ok(await alive(victim), "B's process is untouched");
    const plain = await exec("proc-a", `dd if=/proc/${victim}/mem bs=1 count=1 2>&1; cat /proc/${victim}/environ 2>&1`);
    assert.match(plain.stdout, /No such file or directory/);
  });

  it("cannot reach another bot's files, socket or token through /proc or the host's paths", async () => {
    const victim = hostPid["proc-b"]!;
    const token = (await botAgent(server, "proc-b")).endpoint.token!;
    assert.ok(token, "B's agent has a token to look for");
    // Control, on the host: these paths lead to B's file and socket.
    assert.equal((await readFile(`/proc/${victim}/root/data/secret`, "utf8")).trim(), `${secret}-proc-b`);
    const attempts = [
      `cat /proc/${victim}/root/data/secret`,
      `ls /proc/${victim}/root/run/botbox/`,
      `cat /proc/${victim}/environ`,
      `grep -rl --text -e '${secret}-proc-b' -e '${token}' /proc/[0-9]*/environ /proc/[0-9]*/cmdline /run /tmp /data 2>/dev/null`,
      `cat /proc/1/root/proc/${victim}/environ`,
    ];
    const seen = await exec("proc-a", attempts.map((command) => `${command} 2>&1; echo`).join("; "));
    assert.ok(!seen.stdout.includes(`${secret}-proc-b`), `A read B's file: ${seen.stdout}`);
    assert.ok(!seen.stdout.includes(token), "A read B's agent token");
    assert.ok(!seen.stdout.includes("agent.sock"), `A saw B's agent socket: ${seen.stdout}`);
    // Control, inside B: the same grep finds its own file (and its agent's token in the agent's environ).
    const own = await exec("proc-b", attempts[3]!);
    assert.match(own.stdout, /\/data\/secret/, JSON.stringify(own));
  });
});
