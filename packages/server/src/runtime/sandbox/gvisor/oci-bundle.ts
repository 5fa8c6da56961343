/**
 * The OCI bundle of a gVisor bot: the same file system a bwrap sandbox gets
 * (bwrap-args.ts), as mounts over a small read-only root of mount points and
 * the host's /bin, /lib symlinks. runsc reads it at `create`.
 */
import { lstat, mkdir, readlink, symlink } from "node:fs/promises";
import path from "node:path";

import type { SandboxPlan } from "../bwrap-args.js";
import { writeJsonFile } from "../json-file.js";
import { STATE_FOLDERS } from "../layout.js";

const MOUNT_POINTS = [
  "usr",
  "etc",
  "proc",
  "dev",
  "var",
  "run/botbox",
  "opt/botbox",
  "opt/mcp-template",
  ...STATE_FOLDERS,
];

/** The shared root folder every gVisor bot of this home starts from; made once. */
export async function prepareRoot(home: string): Promise<string> {
  const root = path.join(home, "opt", "gvisor-root");
  for (const folder of MOUNT_POINTS) await mkdir(path.join(root, folder), { recursive: true, mode: 0o755 });
  for (const name of ["bin", "sbin", "lib", "lib32", "lib64", "libx32"]) {
    const host = await lstat(`/${name}`).catch(() => undefined);
    const here = await lstat(path.join(root, name)).catch(() => undefined);
    if (host?.isSymbolicLink() && !here) await symlinkOnce(await readlink(`/${name}`), path.join(root, name));
  }
  await symlinkOnce("../tmp", path.join(root, "var", "tmp"));
  return root;
}

/** A symlink that may already be there (another start made it meanwhile). */
async function symlinkOnce(target: string, at: string): Promise<void> {
  await symlink(target, at).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  });
}

export interface BundleRequest {
  plan: SandboxPlan;
  root: string;
  bundleDir: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  identity: { uid: number; gid: number };
  /** A network namespace to join (isolated); none: a new one of gVisor's (none) or the host's (host). */
  netnsPath?: string;
}

type Mount = { destination: string; type: string; source: string; options?: string[] };

export async function writeBundle(request: BundleRequest): Promise<void> {
  const { plan } = request;
  if (plan.image.kind !== "host")
    throw new Error("gVisor bots run the default image only for now; imported images need isolation namespaces");
  const bind = (source: string, destination: string, writable = false): Mount => ({
    destination,
    type: "bind",
    source,
    options: ["rbind", writable ? "rw" : "ro", "nosuid", "nodev"],
  });
  const mounts: Mount[] = [
    { destination: "/proc", type: "proc", source: "proc" },
    { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "mode=755"] },
    bind("/usr", "/usr"),
    bind(plan.image.etcDir, "/etc"),
    ...["hosts", "hostname", "resolv.conf"].map((name) => bind(path.join(plan.etcDir, name), `/etc/${name}`)),
    ...STATE_FOLDERS.map((folder) => bind(path.join(plan.stateDir, folder), `/${folder}`, true)),
    bind(plan.runDir, "/run/botbox", true),
    bind(plan.staged.agentDir, "/opt/botbox"),
    bind(plan.staged.templates, "/opt/mcp-template"),
  ];
  if (await lstat("/etc/ssl/certs").catch(() => undefined)) mounts.push(bind("/etc/ssl/certs", "/etc/ssl/certs"));
  const namespaces: { type: string; path?: string }[] = [
    { type: "pid" },
    { type: "ipc" },
    { type: "uts" },
    { type: "mount" },
  ];
  if (plan.network === "none") namespaces.push({ type: "network" });
  else if (request.netnsPath) namespaces.push({ type: "network", path: request.netnsPath });
  await writeJsonFile(
    path.join(request.bundleDir, "config.json"),
    {
      ociVersion: "1.0.2",
      process: {
        user: { uid: request.identity.uid, gid: request.identity.gid },
        args: request.args,
        env: Object.entries(request.env).map(([key, value]) => `${key}=${value ?? ""}`),
        cwd: "/app",
        noNewPrivileges: true,
        capabilities: { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] },
      },
      root: { path: request.root, readonly: true },
      hostname: plan.hostname,
      mounts,
      linux: { namespaces },
    },
    0o600,
  );
}
