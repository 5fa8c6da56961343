/**
 * What every Docker bot runs without (issue 13 §5), on top of Docker's own
 * defaults (AppArmor where the host has it, masked /proc paths, the device
 * cgroup).
 *
 * seccomp: the containerd backend's profile (containerd/seccomp-profile.ts),
 * which is Docker's default allow-list without io_uring, as Docker 25 and
 * later ship it; the daemons Debian has (20.10) still allow io_uring, a
 * frequent source of kernel privilege escalations. Under gVisor the profile
 * is not applied (runsc ignores OCI seccomp unless --oci-seccomp); gVisor's
 * own kernel is the filter there.
 *
 * `no-new-privileges`: a setuid or file-capability binary in the image (su,
 * ping of old images, anything a bot installs) cannot raise a process above
 * what it started with, so a bot's non-root user stays non-root.
 *
 * Capabilities: Docker's default set is CHOWN, DAC_OVERRIDE, FSETID, FOWNER,
 * MKNOD, NET_RAW, SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE,
 * SYS_CHROOT, KILL and AUDIT_WRITE. Kept: what root in a bot needs for
 * ordinary work. apt-get and dpkg chown and chmod files of other users
 * (CHOWN, DAC_OVERRIDE, FOWNER, FSETID), apt drops to its `_apt` user and
 * package scripts run services as their users (SETUID, SETGID), a bot stops
 * its own processes of other users (KILL), and serves on ports below 1024
 * (NET_BIND_SERVICE). Dropped, each because ordinary tools do not need it:
 * - NET_RAW: raw and packet sockets forge source addresses and ARP, which
 *   the host firewall's per-address rules rely on not happening; ping still
 *   works through ICMP datagram sockets (Docker sets ping_group_range).
 * - MKNOD: device nodes; the device cgroup refuses their use anyway.
 * - AUDIT_WRITE: writes into the host kernel's audit log.
 * - SETFCAP: putting file capabilities on binaries (useless under
 *   no-new-privileges, and a way to plant them in a snapshot).
 * - SETPCAP: changing capability sets of its own threads beyond dropping.
 * - SYS_CHROOT: chroot; debootstrap-style builds need it, apt and dpkg do not.
 */
import { defaultSeccompProfile } from "../containerd/seccomp-profile.js";

export const DROPPED_CAPABILITIES = ["NET_RAW", "MKNOD", "AUDIT_WRITE", "SETFCAP", "SETPCAP", "SYS_CHROOT"] as const;

export const SECURITY_OPTIONS = [
  "no-new-privileges:true",
  `seccomp=${JSON.stringify(defaultSeccompProfile())}`,
] as const;
