/**
 * `botbox doctor` for the Docker runtime: the daemon, its cgroups, what limits
 * it can apply, gVisor, the disk quota, the isolated network, the hardening.
 */
import type Docker from "dockerode";

import { hostFirewallCheck } from "../host-firewall.js";
import type { DoctorCheck } from "../runtime.js";
import { canMountDiskImages } from "./bot-disk.js";
import { DROPPED_CAPABILITIES } from "./hardening.js";

interface Feature {
  ok: boolean;
  /** What was found; when not ok, what to configure. */
  detail: string;
}

export interface DaemonFeatures {
  gvisor: Feature;
  diskQuota: Feature;
}

/** What the daemon's `info` says it can do for gVisor and the disk quota (bot-disk.ts). */
export function daemonFeaturesOf(
  info: Record<string, unknown>,
  gvisorRuntime: string,
  canMountImages: boolean,
): DaemonFeatures {
  const runtimes = Object.keys((info.Runtimes as Record<string, unknown> | undefined) ?? {});
  const driver = String(info.Driver);
  const gvisor: Feature = runtimes.includes(gvisorRuntime)
    ? { ok: true, detail: `gVisor is the daemon's runtime "${gvisorRuntime}": isolation "gvisor" is available` }
    : {
        ok: false,
        detail:
          `isolation "gvisor" needs gVisor's runsc registered with the Docker daemon as runtime "${gvisorRuntime}" ` +
          `(apt-get install runsc; in /etc/docker/daemon.json "runtimes": {"${gvisorRuntime}": {"path": "/usr/bin/runsc", ` +
          `"runtimeArgs": ["--host-uds=create"]}}, then reload dockerd); the daemon has ${runtimes.join(", ") || "none"}`,
      };
  const diskQuota: Feature =
    driver !== "overlay2"
      ? {
          ok: false,
          detail: `limits.diskBytes needs the daemon's overlay2 storage driver (its writable layers go on the bot's quota image); this daemon uses ${driver}`,
        }
      : !canMountImages
        ? {
            ok: false,
            detail:
              "limits.diskBytes needs the server running as root with mkfs.ext4 (e2fsprogs): each bot's writable state is a loop-mounted ext4 image",
          }
        : {
            ok: true,
            detail:
              "limits.diskBytes is a hard quota: /data, /run/botbox and the writable layer share a loop-mounted ext4 image of that size",
          };
  return { gvisor, diskQuota };
}

/** The error for a bot that asks for what this daemon cannot do. */
export function refusal(feature: keyof DaemonFeatures, features: DaemonFeatures): string {
  return features[feature].detail;
}

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
      detail: `bots run with no-new-privileges and without ${DROPPED_CAPABILITIES.join(", ")}, on top of Docker's seccomp profile`,
    },
    await hostFirewallCheck("docker"),
  ];
}
