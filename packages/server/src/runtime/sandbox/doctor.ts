/** What the sandbox runtime can and cannot do on this machine, for `botbox doctor`. */
import { execFile } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

import type { DoctorCheck } from "../runtime.js";
import { hostRootLinks } from "./bwrap-args.js";
import { detectCgroups } from "./cgroups.js";
import { CODE_CACHE_FILE } from "./code-cache.js";
import { findRunsc } from "./gvisor/runsc.js";
import { FIRST_HOST_ID, runningAsRoot } from "./host-ids.js";
import { detectIsolation } from "./network/index.js";
import type { StagedFiles } from "./staging.js";

const run = promisify(execFile);

/** The uid the probe sandbox runs as when we are root: nobody, unprivileged like a bot. */
const PROBE_UID = 65534;

export async function sandboxDoctor(
  bwrapPath: string,
  home: string,
  stage: () => Promise<StagedFiles>,
): Promise<DoctorCheck[]> {
  return Promise.all([
    checkBwrap(bwrapPath),
    checkUserNamespaces(bwrapPath),
    checkRoot(),
    checkCgroups(),
    checkOverlay(),
    checkHome(home),
    checkCodeCache(stage),
    checkIsolatedNetwork(),
    checkDiskQuota(),
    checkGvisor(),
  ]);
}

/** Whether bots may ask for isolation "gvisor": runsc present and the server root. */
async function checkGvisor(): Promise<DoctorCheck> {
  const name = "gVisor";
  const runsc = findRunsc();
  if (!runsc)
    return { name, ok: false, detail: 'runsc not found: isolation "gvisor" is refused (apt-get install runsc)' };
  if (!runningAsRoot()) return { name, ok: false, detail: `${runsc} found, but runsc needs the server to run as root` };
  const { stdout } = await run(runsc, ["--version"]).catch(() => ({ stdout: "runsc" }));
  return {
    name,
    ok: true,
    detail: `${stdout.split("\n")[0]!.trim()} (ptrace platform): bots may ask for isolation "gvisor"`,
  };
}

/** Whether `limits.diskBytes` can be enforced: a loop-mounted ext4 image per bot. */
async function checkDiskQuota(): Promise<DoctorCheck> {
  const name = "disk quota";
  if (!runningAsRoot())
    return {
      name,
      ok: false,
      detail: "not enforced: loop-mounting each bot's file system needs root; disk_bytes is refused",
    };
  const missing = [];
  if (!(await stat("/dev/loop-control").catch(() => undefined))) missing.push("/dev/loop-control (no loop devices)");
  if (
    !(await run("mkfs.ext4", ["-V"]).then(
      () => true,
      () => false,
    ))
  )
    missing.push("mkfs.ext4 (apt-get install e2fsprogs)");
  return missing.length > 0
    ? { name, ok: false, detail: `bots with a disk quota cannot be created: missing ${missing.join(", ")}` }
    : {
        name,
        ok: true,
        detail:
          "enforced: each bot's writable state and snapshots live on its own loop-mounted ext4 image of disk_bytes; past it, writes fail with ENOSPC",
      };
}

/** Whether network "isolated" (the default) can be given, and how. */
async function checkIsolatedNetwork(): Promise<DoctorCheck> {
  const name = "isolated network";
  const support = detectIsolation();
  if (!support.ok) return { name, ok: false, detail: `${support.reason}; bots asking for it will not start` };
  const { stdout } = await run(support.tools.slirp4netns, ["--version"]).catch(() => ({ stdout: "slirp4netns" }));
  return {
    name,
    ok: true,
    detail: `${stdout.split("\n")[0]!.trim()} and nftables: each bot gets a network namespace owned by the host, outbound access through slirp4netns, and egress rules it cannot change (host, link-local and private ranges refused)`,
  };
}

/** Stages the agent as a first start would, which makes the cache when it is missing or stale. */
async function checkCodeCache(stage: () => Promise<StagedFiles>): Promise<DoctorCheck> {
  const name = "agent code cache";
  try {
    const staged = await stage();
    if (staged.codeCache) {
      const size = (await stat(path.join(staged.agentDir, CODE_CACHE_FILE))).size;
      return { name, ok: true, detail: `${Math.round(size / 1024)} KiB: bots start without compiling the agent` };
    }
    return staged.codeCacheProblem === undefined
      ? { name, ok: true, detail: "turned off: bots compile the agent at each start" }
      : { name, ok: false, detail: `none, bots start slower: ${staged.codeCacheProblem}` };
  } catch (error) {
    return { name, ok: false, detail: `cannot stage the agent: ${(error as Error).message}` };
  }
}

async function checkBwrap(bwrapPath: string): Promise<DoctorCheck> {
  try {
    const { stdout } = await run(bwrapPath, ["--version"]);
    return { name: "bubblewrap", ok: true, detail: `${stdout.trim()} at ${bwrapPath}` };
  } catch (error) {
    return {
      name: "bubblewrap",
      ok: false,
      detail: `cannot run ${bwrapPath} (${(error as Error).message}): install it with \`apt-get install bubblewrap\``,
    };
  }
}

/** Starts a real (empty) sandbox the way bots are started: the only test that counts. */
async function checkUserNamespaces(bwrapPath: string): Promise<DoctorCheck> {
  const args = ["--unshare-user", "--unshare-pid", "--ro-bind", "/usr", "/usr", ...(await hostRootLinks())];
  try {
    await run(bwrapPath, [...args, "--", "/bin/true"], runningAsRoot() ? { uid: PROBE_UID, gid: PROBE_UID } : {});
    return { name: "user namespaces", ok: true, detail: "an unprivileged user can create a sandbox" };
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? (error as Error).message).trim();
    const knob = await readFile("/proc/sys/kernel/unprivileged_userns_clone", "utf8").catch(() => "");
    const hint =
      knob.trim() === "0"
        ? "set kernel.unprivileged_userns_clone=1 (sysctl)"
        : "check user.max_user_namespaces and kernel.apparmor_restrict_unprivileged_userns (sysctl)";
    return { name: "user namespaces", ok: false, detail: `a test sandbox failed: ${stderr}; ${hint}` };
  }
}

async function checkRoot(): Promise<DoctorCheck> {
  return runningAsRoot()
    ? {
        name: "host users",
        ok: true,
        detail: `running as root: each bot runs as its own unprivileged host uid from ${FIRST_HOST_ID}`,
      }
    : {
        name: "host users",
        ok: true,
        detail: `not root: every bot runs as uid ${process.getuid?.()}; namespaces isolate them, host uids do not`,
      };
}

async function checkCgroups(): Promise<DoctorCheck> {
  const support = await detectCgroups();
  return support.mode === "none"
    ? { name: "resource limits", ok: false, detail: `not applied: ${support.reason}; bots run without limits` }
    : { name: "resource limits", ok: true, detail: `cgroup ${support.mode}: memory, pids and cpu limits per bot` };
}

async function checkOverlay(): Promise<DoctorCheck> {
  const filesystems = await readFile("/proc/filesystems", "utf8").catch(() => "");
  const overlay = /\boverlay$/m.test(filesystems);
  if (overlay && runningAsRoot())
    return { name: "snapshots", ok: true, detail: "overlay layers: a snapshot costs what changed since the last one" };
  const why = overlay ? "the server is not root and cannot mount overlays" : "the kernel has no overlay file system";
  return {
    name: "snapshots",
    ok: false,
    detail: `full copies (cp -a --reflink=auto), cost grows with /data: ${why}`,
  };
}

/** Bots run as other uids and must be able to walk down to their folders. */
async function checkHome(home: string): Promise<DoctorCheck> {
  if (!runningAsRoot()) return { name: "home", ok: true, detail: home };
  for (let folder = path.dirname(home); ; folder = path.dirname(folder)) {
    // A folder that does not exist yet will be made by botbox with the right mode.
    const mode = (await stat(folder).catch(() => undefined))?.mode ?? 0o001;
    if ((mode & 0o001) === 0)
      return {
        name: "home",
        ok: false,
        detail: `${folder} is not searchable by other users: bots cannot reach ${home}`,
      };
    if (folder === path.dirname(folder)) break;
  }
  return { name: "home", ok: true, detail: `${home} is reachable by bot users` };
}
