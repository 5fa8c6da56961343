/**
 * The bwrap command line of one bot. What the bot sees:
 *
 *   /usr, /etc        the image, read-only (default image: the host's /usr and
 *                     a generated /etc, never the host's own /etc)
 *   /data /app /tmp /root /home   its writable state
 *   /run/botbox       its socket folder: the host dials agent.sock there
 *   /opt/botbox       agent.js, its code cache and node, read-only;
 *                     /opt/mcp-template too
 *   /proc /dev        its own
 *
 * Nothing else of the host exists inside: not botbox's home, not other bots.
 * No `--die-with-parent`: a task must outlive the server that started it.
 * bwrap's init stays PID 1 and reaps orphaned processes (it waits for any
 * child), which the agent, a Node process, could not do (docs/agent.md).
 */
import { lstat, readlink, realpath } from "node:fs/promises";
import path from "node:path";

import type { NetworkMode } from "../runtime.js";
import { CODE_CACHE_FILE } from "./code-cache.js";
import type { SandboxImage } from "./images/image-store.js";
import { STATE_FOLDERS } from "./layout.js";
import type { StagedFiles } from "./staging.js";

/** The agent bundle's init mode (packages/agent/src/init). */
const AGENT_INIT_FLAG = "--botbox-init";

export interface SandboxPlan {
  image: SandboxImage;
  hostname: string;
  network: NetworkMode;
  /** Host folder holding data/ app/ tmp/ root/ home/. */
  stateDir: string;
  runDir: string;
  /** Per-bot hosts, hostname and resolv.conf. */
  etcDir: string;
  staged: StagedFiles;
}

export async function bwrapArgs(plan: SandboxPlan): Promise<string[]> {
  const args = ["--unshare-user", "--uid", "0", "--gid", "0", "--unshare-pid", "--unshare-ipc", "--unshare-uts"];
  // "none": bwrap's own empty namespace. "isolated": the host-made namespace
  // bwrap is started in (network/isolated-network.ts). "host" shares the
  // host's: its loopback services and abstract sockets are reachable too.
  if (plan.network === "none") args.push("--unshare-net");
  // --new-session: a bot must not push input into a terminal of the host (TIOCSTI).
  args.push("--hostname", plan.hostname, "--new-session");

  if (plan.image.kind === "host") {
    args.push("--ro-bind", "/usr", "/usr", ...(await hostRootLinks()));
    args.push("--ro-bind", plan.image.etcDir, "/etc", "--ro-bind-try", "/etc/ssl/certs", "/etc/ssl/certs");
  } else {
    args.push("--ro-bind", plan.image.rootfs, "/");
  }
  args.push("--proc", "/proc", "--dev", "/dev");
  for (const name of ["hosts", "hostname", "resolv.conf"])
    args.push("--ro-bind", path.join(plan.etcDir, name), `/etc/${name}`);
  for (const folder of STATE_FOLDERS) args.push("--bind", path.join(plan.stateDir, folder), `/${folder}`);
  args.push("--bind", plan.runDir, "/run/botbox");
  args.push("--ro-bind", plan.staged.agentDir, "/opt/botbox");
  args.push("--ro-bind", plan.staged.templates, "/opt/mcp-template");
  if (plan.image.kind === "host") {
    // Tools expect /var/tmp; it shares the bot's /tmp.
    args.push("--dir", "/var", "--symlink", "../tmp", "/var/tmp");
    // The root is a tmpfs bwrap made for the mount points: freeze it.
    args.push("--remount-ro", "/");
  } else {
    const loader = await hostLoader();
    args.push("--ro-bind", path.dirname(loader), "/opt/botbox/lib");
  }
  if (plan.staged.codeCache) args.push("--setenv", "BOTBOX_AGENT_CODE_CACHE", `/opt/botbox/${CODE_CACHE_FILE}`);
  args.push("--chdir", "/app", "--", ...(await agentCommand(plan.image, plan.staged.codeCache)));
  return args;
}

/**
 * The default image runs the host's node against the host's /usr. An imported
 * image has its own libraries (maybe musl), so the host's node is started
 * through the host's dynamic loader with the host's libraries, bound at
 * /opt/botbox/lib; the bot's own programs keep the image's.
 *
 * `--botbox-init`: the bundle runs as the workspace's init, which runs the
 * agent and starts it again when it dies, so an agent's death no longer ends
 * the sandbox and its supervised processes (docs/processes.md). bwrap's own
 * init stays PID 1 and reaps.
 */
export async function agentCommand(image: SandboxImage, codeCache: boolean): Promise<string[]> {
  const script = codeCache ? "/opt/botbox/agent-start.js" : "/opt/botbox/agent.js";
  const command = ["/opt/botbox/node", script, AGENT_INIT_FLAG];
  if (image.kind === "host") return command;
  const loader = path.basename(await hostLoader());
  return [`/opt/botbox/lib/${loader}`, "--library-path", "/opt/botbox/lib", ...command];
}

let rootLinks: Promise<string[]> | undefined;

/** /bin, /lib, /lib64, /sbin as on the host: symlinks into usr (merged /usr) or read-only binds. */
export async function hostRootLinks(): Promise<string[]> {
  rootLinks ??= (async () => {
    const args: string[] = [];
    for (const name of ["bin", "sbin", "lib", "lib32", "lib64", "libx32"]) {
      const stat = await lstat(`/${name}`).catch(() => undefined);
      if (stat?.isSymbolicLink()) args.push("--symlink", await readlink(`/${name}`), `/${name}`);
      else if (stat?.isDirectory()) args.push("--ro-bind", `/${name}`, `/${name}`);
    }
    return args;
  })();
  return rootLinks;
}

let loaderPath: Promise<string> | undefined;

async function hostLoader(): Promise<string> {
  loaderPath ??= (async () => {
    for (const candidate of ["/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1"]) {
      const resolved = await realpath(candidate).catch(() => undefined);
      if (resolved) return resolved;
    }
    throw new Error("no host dynamic loader found to run node in an imported image");
  })();
  return loaderPath;
}
