/**
 * gVisor on containerd (isolation "gvisor"): the same runc shim
 * (io.containerd.runc.v2), told by its runtime options to run runsc instead
 * of runc. runsc speaks runc's command line (create, start, state, kill,
 * delete), so the shim, the rootfs mount, the task API and the exit status
 * work unchanged. Debian's containerd has no runsc shim of its own.
 *
 * The shim passes no flags of ours, so BinaryName is a small script in
 * botbox's home that adds them:
 * - `--platform=ptrace`: no KVM on these machines;
 * - `--host-uds=create`: the agent's Unix socket, made inside, appears in the
 *   bound run folder on the host, where the server dials it as for any bot;
 * - `--network=host`: the bot uses the kernel's sockets in the network
 *   namespace the OCI spec names, so the CNI namespace, the host firewall's
 *   rules (isolated, egress) and "none" apply exactly as for runc bots.
 * runsc keeps its state under its own root, apart from runc's.
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

import type { Any } from "../../gen/containerd/google/protobuf/any.js";

export const RUNSC_FLAGS = ["--platform=ptrace", "--host-uds=create", "--network=host"];
const RUNSC_STATE_ROOT = "/run/containerd/runsc";

/** runsc on PATH (Debian's package puts it in /usr/bin), or undefined. */
export function findRunsc(): string | undefined {
  for (const dir of (process.env.PATH ?? "/usr/sbin:/usr/bin").split(":")) {
    const candidate = path.join(dir, "runsc");
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Writes (or keeps) `<home>/gvisor/runsc`, runsc with botbox's flags; returns its path. */
export async function runscWrapper(home: string, runsc: string): Promise<string> {
  const folder = path.join(home, "gvisor");
  const file = path.join(folder, "runsc");
  const script = `#!/bin/sh\n# runsc for containerd's runc shim, with botbox's flags (containerd/gvisor.ts).\nexec ${runsc} ${RUNSC_FLAGS.join(" ")} "$@"\n`;
  if ((await readFile(file, "utf8").catch(() => "")) === script) return file;
  await mkdir(folder, { recursive: true, mode: 0o755 });
  // A temporary name of its own: bots made at once each write one, and the last rename wins.
  const temporary = `${file}.${randomUUID()}.tmp`;
  await writeFile(temporary, script, { mode: 0o755 });
  await rename(temporary, file);
  return file;
}

/**
 * The runc shim's options (containerd.runc.v1.Options) naming runsc: field 6
 * binary_name and field 7 root, encoded by hand (two strings) rather than
 * generating stubs for the shim's own proto.
 */
export function runscShimOptions(binary: string): Any {
  const field = (number: number, text: string): Buffer => {
    const bytes = Buffer.from(text, "utf8");
    return Buffer.concat([Buffer.from([(number << 3) | 2]), varint(bytes.length), bytes]);
  };
  return {
    typeUrl: "containerd.runc.v1.Options",
    value: Buffer.concat([field(6, binary), field(7, RUNSC_STATE_ROOT)]),
  };
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}
