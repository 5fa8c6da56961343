/**
 * The containerd runtime's hardening (issue 13 §5): Docker's default seccomp
 * profile, no new privileges, and a user namespace per bot mapped to a host id
 * range of its own. Each attempt fails in a default bot and succeeds in a
 * control bot made by a runtime with that protection off, so the test can fail.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chmod, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { before, describe, it } from "node:test";

import type { AgentClient } from "../../packages/server/src/client/index.js";
import type { ContainerSpec } from "../../packages/server/src/runtime/runtime.js";
import { containerdSuite, containerdUnavailable } from "./containerd-support.js";
import { waitForAgent } from "./support.js";

const unavailable = await containerdUnavailable();

describe("containerd runtime: hardening", { skip: unavailable, timeout: 600_000 }, () => {
  const suite = containerdSuite({ startTimeoutMs: 60_000 });
  const sh = suite.output;
  let hardened: AgentClient;
  let hardenedSpec: ContainerSpec;
  let control: AgentClient;
  let controlSpec: ContainerSpec;
  const dataOf = (spec: ContainerSpec) => path.join(suite.home, "bots", spec.botId, "data");

  before(async () => {
    [hardenedSpec, hardened] = await suite.started();
    const unprotected = await suite.open({ seccomp: false, userNamespaces: false, noNewPrivileges: false });
    [controlSpec, control] = await suite.started({}, unprotected);
  });

  it("seccomp: a new user namespace and the key rings are refused; without the profile they are not", async () => {
    const nestedUserns = "unshare -U true 2>&1 && echo allowed || echo refused";
    assert.match(await sh(hardened, nestedUserns), /Operation not permitted[\s\S]*refused/);
    assert.equal(await sh(control, nestedUserns), "allowed");
    // keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, create): syscall 250 on x86_64, 219 on arm64.
    const keyctl = `python3 -c 'import ctypes, os, platform
libc = ctypes.CDLL(None, use_errno=True)
nr = 250 if platform.machine() == "x86_64" else 219
r = libc.syscall(nr, 0, -3, 1)
print("allowed" if r >= 0 else os.strerror(ctypes.get_errno()))'`;
    assert.equal(await sh(hardened, keyctl), "Operation not permitted");
    assert.equal(await sh(control, keyctl), "allowed");
    assert.match(await sh(hardened, "grep -E '^Seccomp:' /proc/self/status"), /Seccomp:\s+2/);
  });

  it("no new privileges: a setuid-root program run by an ordinary user stays that user", async () => {
    const attempt =
      "cp /usr/bin/id /tmp/setuid-id && chmod 4755 /tmp/setuid-id && setpriv --reuid=1000 --regid=1000 --clear-groups /tmp/setuid-id -u";
    assert.equal(await sh(hardened, attempt), "1000");
    assert.equal(await sh(control, attempt), "0");
    assert.match(await sh(hardened, "grep NoNewPrivs /proc/self/status"), /NoNewPrivs:\s+1/);
  });

  it("user namespace: root in the bot owns its files on the host as a high id of its own range", async () => {
    const range = JSON.parse(
      await readFile(path.join(suite.home, "bots", hardenedSpec.botId, "id-range.json"), "utf8"),
    ) as { first: number; size: number };
    assert.ok(range.first >= 2 ** 28 && range.size === 65_536, JSON.stringify(range));
    assert.equal(await sh(hardened, "id -u"), "0");
    assert.equal((await sh(hardened, "cat /proc/self/uid_map")).split(/\s+/).join(" "), `0 ${range.first} 65536`);
    await sh(hardened, "echo mine > /data/made-by-root && chown 1234:1234 /data/made-by-root");
    const made = await stat(path.join(dataOf(hardenedSpec), "made-by-root"));
    assert.deepEqual([made.uid, made.gid], [range.first + 1234, range.first + 1234]);
    // The control, without a user namespace, is root on the host.
    await sh(control, "echo mine > /data/made-by-root");
    assert.equal((await stat(path.join(dataOf(controlSpec), "made-by-root"))).uid, 0);
  });

  it("user namespace: root in the bot cannot act as host root on its bind mounts", async () => {
    for (const spec of [hardenedSpec, controlSpec]) {
      const secret = path.join(dataOf(spec), "host-secret");
      await writeFile(secret, "host only\n");
      await chmod(secret, 0o600);
    }
    const attempt = "cat /data/host-secret 2>&1; chown 0:0 /data/host-secret 2>&1 && echo chowned";
    const denied = await sh(hardened, attempt);
    assert.match(denied, /Permission denied/);
    assert.doesNotMatch(denied, /host only|chowned/);
    assert.match(await sh(control, attempt), /host only[\s\S]*chowned/);
    // Host files the image did not bring are nobody's to the bot.
    assert.match(await sh(hardened, "stat -c %U /data/host-secret"), /nobody/);
  });

  it("the image's files are the bot's own: it can install into and change its root file system", async () => {
    const out = await sh(
      hardened,
      "echo extra >> /etc/hostname.test; echo x >> /etc/issue && ls -ln /etc/issue /usr/bin/su",
    );
    assert.match(out, /^-rw-r--r-- 1 0 0 .*\/etc\/issue/m);
    // Setuid bits survive the shift of the image's owners.
    assert.match(out, /^-rwsr-xr-x 1 0 0 .*\/usr\/bin\/su/m);
  });

  it("a bot deleted for good gives its id range back, and a new bot of that id starts empty", async () => {
    const { idRangeRegistry } = await import("../../packages/server/src/runtime/containerd/id-range.js");
    const [spec, client] = await suite.started();
    await sh(client, "echo old > /data/old.txt");
    const range = JSON.parse(await readFile(path.join(suite.home, "bots", spec.botId, "id-range.json"), "utf8")) as {
      first: number;
    };
    const slot = path.join(idRangeRegistry(), String((range.first - 2 ** 28) / 65_536));
    assert.ok(existsSync(slot));
    await suite.runtime.stopTask(spec.id);
    await suite.runtime.deleteContainer(spec.id, { keepData: true });
    assert.ok(existsSync(slot), "kept data keeps its range");
    await suite.runtime.discardKeptData(spec.botId);
    assert.equal(existsSync(slot), false);
    assert.equal(existsSync(path.join(suite.home, "bots", spec.botId)), false);
    await suite.runtime.createContainer({ ...spec, agentToken: `${spec.agentToken}-new` });
    await suite.runtime.startTask(spec.id);
    const again = suite.janitor.client(await waitForAgent(suite.runtime, spec.id, 60_000));
    assert.equal(await sh(again, "test -e /data/old.txt && echo found || echo gone"), "gone");
  });
});
