/**
 * Runs a shell script on untrusted files (image tars) inside a throwaway
 * bwrap mount namespace that holds only the host's /usr and the folders the
 * script needs. An image layer may carry a symlink `etc -> /etc` and then a
 * file `etc/passwd`: here that lands in the namespace's empty root, not in the
 * host's /etc. As root the script keeps the capabilities tar needs to restore
 * owners and modes; otherwise it runs as root of a user namespace.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

import { BadRequestError } from "../../../errors.js";
import { hostRootLinks } from "../bwrap-args.js";
import { runningAsRoot } from "../host-ids.js";

const run = promisify(execFile);

export interface ConfinedBind {
  source: string;
  target: string;
  writable?: boolean;
}

const TAR_CAPABILITIES = ["CAP_CHOWN", "CAP_FOWNER", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_MKNOD"];

export async function runConfined(
  bwrapPath: string,
  binds: ConfinedBind[],
  script: string,
  args: string[] = [],
): Promise<string> {
  const namespaces = runningAsRoot()
    ? TAR_CAPABILITIES.flatMap((cap) => ["--cap-add", cap])
    : ["--unshare-user", "--uid", "0", "--gid", "0"];
  const bwrap = [
    ...namespaces,
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-net",
    // A helper, unlike a bot, must not outlive the server that needs its result.
    "--die-with-parent",
    "--ro-bind",
    "/usr",
    "/usr",
    ...(await hostRootLinks()),
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--tmpfs",
    "/tmp",
    ...binds.flatMap(({ source, target, writable }) => [writable ? "--bind" : "--ro-bind", source, target]),
    "--",
    "/bin/sh",
    "-ec",
    script,
    "sh",
    ...args,
  ];
  try {
    const { stdout } = await run(bwrapPath, bwrap, {
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C", ROOT: runningAsRoot() ? "1" : "" },
      maxBuffer: 64 * 2 ** 20,
    });
    return stdout;
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? "").trim();
    throw new BadRequestError(`image tar: ${stderr || (error as Error).message}`, { cause: error });
  }
}
