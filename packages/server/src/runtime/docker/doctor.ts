/**
 * `botbox doctor` for the Docker runtime: the daemon, its cgroups, what limits
 * it can apply, gVisor, the disk quota, the isolated network, the hardening.
 */
import type Docker from "dockerode";

import { hostFirewallCheck } from "../host-firewall.js";
import type { DoctorCheck } from "../runtime.js";
import { canMountDiskImages } from "./bot-disk.js";
import { daemonFeaturesOf } from "./daemon.js";
import { DROPPED_CAPABILITIES } from "./hardening.js";

export async function dockerDoctor(client: Docker, where: string, gvisorRuntime: string): Promise<DoctorCheck[]> {
  let version: Docker.DockerVersion;
  let info: Record<string, unknown>;
  try {
    [version, info] = await Promise.all([client.version(), client.info() as Promise<Record<string, unknown>>]);
  } catch (error) {
    return [
      {
        name: "docker daemon",
        ok: false,
        detail: `no answer at ${where} (${(error as Error).message}): start dockerd, or set DOCKER_HOST`,
      },
    ];
  }
  const missingLimits = (["MemoryLimit", "PidsLimit", "CpuCfsQuota"] as const).filter((key) => info[key] !== true);
  const securityOptions = (info.SecurityOptions as string[] | undefined) ?? [];
  const remapped = securityOptions.some((option) => option.includes("name=userns"));
  const features = daemonFeaturesOf(info, gvisorRuntime, await canMountDiskImages());
  return [
    {
      name: "docker daemon",
      ok: true,
      detail: `Docker ${version.Version} (API ${version.ApiVersion}) at ${where}, storage ${String(info.Driver)}`,
    },
    {
      name: "cgroups",
      ok: true,
      detail: `driver ${String(info.CgroupDriver)}, cgroup v${String(info.CgroupVersion ?? "1")}`,
    },
    {
      name: "resource limits",
      ok: missingLimits.length === 0,
      detail:
        missingLimits.length === 0
          ? "memory, pids and CPU limits are available"
          : `the daemon reports no ${missingLimits.join(", ")} support: those limits are not enforced`,
    },
    {
      name: "agent socket",
      ok: !remapped,
      detail: remapped
        ? "userns-remap is on: the agent's socket folder belongs to host root, which the container's root is not"
        : "containers run as host root: the agent's socket folder is reachable",
    },
    { name: "gVisor", ...features.gvisor },
    { name: "disk quota", ...features.diskQuota },
    {
      name: "hardening",
      ok: true,
      detail: `bots run with no-new-privileges and without ${DROPPED_CAPABILITIES.join(", ")}, under Docker's default seccomp allow-list without io_uring (not under gVisor, whose kernel is the filter)`,
    },
    await hostFirewallCheck("docker"),
  ];
}
