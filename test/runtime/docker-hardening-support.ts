/**
 * What the Docker hardening and gVisor tests share: one shell script of
 * privilege attempts, run inside a bot and inside a control container made
 * from the same image without the hardening (so each test can fail), and the
 * control container itself, run with the docker CLI at DOCKER_HOST.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * Prints `euid=<n> mknod=<ok|denied> chroot=<ok|denied> raw=<ok|denied>`:
 * the effective uid a setuid-root copy of `id` gives the nobody user, and
 * whether root may make a device node, chroot, and open a raw socket.
 */
export const PRIVILEGE_PROBE = [
  "cp /usr/bin/id /tmp/suid-id && chmod 4755 /tmp/suid-id",
  "euid=$(setpriv --reuid=65534 --regid=65534 --clear-groups /tmp/suid-id -u 2>&1)",
  "rm -f /tmp/probe-node; if mknod /tmp/probe-node c 1 3 2>/dev/null; then m=ok; else m=denied; fi",
  "if chroot / true 2>/dev/null; then c=ok; else c=denied; fi",
  "if perl -e 'use Socket; socket(my $s, PF_INET, SOCK_RAW, 1) or exit 1' 2>/dev/null; then r=ok; else r=denied; fi",
  'echo "euid=$euid mknod=$m chroot=$c raw=$r"',
].join("; ");

/**
 * What apt and dpkg do as root, on a package built on the spot (no network):
 * dpkg-deb builds it, apt-get installs it (chown, _apt's privilege drop,
 * dpkg's database), and the file it ships is there. Prints `installed`.
 */
export const APT_PROBE = [
  "set -e",
  "rm -rf /tmp/pkg && mkdir -p /tmp/pkg/DEBIAN /tmp/pkg/usr/share/botbox-probe",
  "printf 'Package: botbox-probe\\nVersion: 1.0\\nArchitecture: all\\nMaintainer: botbox <botbox@localhost>\\nDescription: probe\\n' > /tmp/pkg/DEBIAN/control",
  "echo hi > /tmp/pkg/usr/share/botbox-probe/hi",
  "chown -R nobody /tmp/pkg/usr/share/botbox-probe && chown -R root /tmp/pkg/usr/share/botbox-probe",
  "dpkg-deb --build /tmp/pkg /tmp/botbox-probe.deb >/dev/null",
  "apt-get install -y -q /tmp/botbox-probe.deb >/tmp/apt.log 2>&1 || { cat /tmp/apt.log; exit 1; }",
  'test "$(cat /usr/share/botbox-probe/hi)" = hi && echo installed',
]
  .join(" && ")
  .replace("set -e &&", "set -e;");

/** Runs `script` with sh in a plain container of `image` (Docker's defaults only) and returns its output. */
export async function inControlContainer(image: string, script: string, extra: string[] = []): Promise<string> {
  const { stdout } = await run(
    "docker",
    ["run", "--rm", "--network", "none", ...extra, "--entrypoint", "sh", image, "-c", script],
    { timeout: 60_000 },
  );
  return stdout.trim();
}
