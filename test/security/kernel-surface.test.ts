// The kernel surface of a bot (issue 13 §5, §7), on the backend under test:
// no nested user namespaces, and the seccomp filter refuses io_uring, the key
// rings, eBPF, perf events and the mount API with EPERM. Each attempt is
// shown working for the same unprivileged user outside the bot first, so the
// refusal is the backend's doing. Container bots run as root in the
// container: the filter must hold for root too.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, rm, writeFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";

import type { AgentClient } from "../../packages/server/src/client/index.js";
import type { ContainerRuntime } from "../../packages/server/src/runtime/runtime.js";
import { DENIED_SYSCALLS_X86_64, seccompSupported } from "../../packages/server/src/runtime/sandbox/seccomp.js";
import { botSpec, Janitor, makeHome, waitForAgent } from "../runtime/support.js";
import { TEST_RUNTIME } from "../support/botbox-server.js";
import { openRuntime } from "../support/runtimes.js";

const run = promisify(execFile);
const asRoot = process.getuid?.() === 0;

/** Calls one system call by number through ctypes and prints "ok" or the error. */
const SYSCALL_SCRIPT = `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
nr = int(sys.argv[1])
buf = ctypes.create_string_buffer(256)
# io_uring_setup(entries, params); keyctl(GET_KEYRING_ID, SESSION, 0); others with harmless zeros.
args = {425: (4, buf), 250: (0, -3, 0)}.get(nr, (0, 0, 0, 0))
result = libc.syscall(nr, *args)
print("ok" if result >= 0 else os.strerror(ctypes.get_errno()))
`;

describe(`kernel surface (${TEST_RUNTIME})`, { skip: !asRoot && "runs bots under per-bot host uids" }, () => {
  let home: string;
  let runtime: ContainerRuntime;
  let bot: AgentClient;
  const janitor = new Janitor();
  const asNobody = (command: string, args: string[]) =>
    run("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", command, ...args]);

  before(async () => {
    home = await makeHome();
    let image: string;
    ({ runtime, image } = await openRuntime(TEST_RUNTIME, home));
    const spec = botSpec({ image });
    janitor.track(runtime, spec.id);
    await runtime.createContainer(spec);
    await runtime.startTask(spec.id);
    bot = janitor.client(await waitForAgent(runtime, spec.id, 30_000));
    await bot.writeFile("/tmp/syscall.py", SYSCALL_SCRIPT);
    // The same script for the outside calls, where nobody can read it.
    await writeFile(`${home}/syscall.py`, SYSCALL_SCRIPT, { mode: 0o644 });
    await chmod(home, 0o755);
  });
  after(async () => {
    await janitor.cleanUp();
    await rm(home, { recursive: true, force: true });
  });

  it("refuses a nested user namespace, which the same user outside may create", async () => {
    await asNobody("unshare", ["--user", "true"]);
    const inside = await bot.exec("unshare --user true; echo status=$?");
    assert.match(inside.stdout, /status=[1-9]/, inside.stderr);
  });

  for (const [name, nr] of [
    ["io_uring_setup", DENIED_SYSCALLS_X86_64.io_uring_setup!],
    ["keyctl", DENIED_SYSCALLS_X86_64.keyctl!],
  ] as const)
    it(
      `refuses ${name} with EPERM, which the same user outside may call`,
      { skip: !seccompSupported() && "x86_64 only" },
      async () => {
        const outside = await asNobody("/usr/bin/python3", [`${home}/syscall.py`, String(nr)]);
        assert.equal(outside.stdout.trim(), "ok", `${name} works outside`);
        const inside = await bot.exec(`/usr/bin/python3 /tmp/syscall.py ${nr}`);
        assert.equal(inside.stdout.trim(), "Operation not permitted", inside.stderr);
      },
    );

  it(
    "refuses the rest of the list, and leaves ordinary calls alone",
    { skip: !seccompSupported() && "x86_64 only" },
    async () => {
      for (const name of ["bpf", "perf_event_open", "userfaultfd", "fsopen", "open_tree", "add_key", "kexec_load"]) {
        const inside = await bot.exec(`/usr/bin/python3 /tmp/syscall.py ${DENIED_SYSCALLS_X86_64[name]}`);
        assert.equal(inside.stdout.trim(), "Operation not permitted", `${name}: ${inside.stdout}${inside.stderr}`);
      }
      // getpid (39) passes the filter.
      assert.equal((await bot.exec("/usr/bin/python3 /tmp/syscall.py 39")).stdout.trim(), "ok");
    },
  );
});
