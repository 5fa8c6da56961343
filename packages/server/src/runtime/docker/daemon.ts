/**
 * What the Docker runtime knows of its daemon: how to reach it, and what it
 * offers beyond the basics (gVisor registered as a runtime, a storage driver
 * the disk quota can work with), asked of its `info` and turned into
 * `capabilities`, refusals that name what to configure, and doctor's lines.
 */
import type Docker from "dockerode";

import { BadRequestError } from "../../errors.js";
import type { ContainerSpec, RuntimeCapabilities } from "../runtime.js";
import { canMountDiskImages } from "./bot-disk.js";
import { docker } from "./docker-errors.js";

export interface Feature {
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

/**
 * Asks the daemon once (again after a failure) and keeps `capabilities`
 * current; a daemon that does not answer offers neither extra.
 */
export class DaemonFeatureProbe {
  private features?: Promise<DaemonFeatures>;

  constructor(
    private readonly client: Docker,
    private readonly gvisorRuntime: string,
    private readonly capabilities: RuntimeCapabilities,
  ) {}

  async detect(): Promise<DaemonFeatures> {
    this.features ??= (async () => {
      const info = (await docker("info", () => this.client.info())) as Record<string, unknown>;
      return daemonFeaturesOf(info, this.gvisorRuntime, await canMountDiskImages());
    })().catch((error: unknown) => {
      this.features = undefined;
      throw error;
    });
    const features = await this.features;
    this.capabilities.gvisor = features.gvisor.ok;
    this.capabilities.diskQuota = features.diskQuota.ok;
    return features;
  }

  /** What this daemon cannot do, refused before anything is made, naming what to configure. */
  async refuseUnsupported(spec: ContainerSpec): Promise<void> {
    if (spec.isolation !== "gvisor" && !spec.limits.diskBytes) return;
    const features = await this.detect();
    if (spec.isolation === "gvisor" && !features.gvisor.ok) throw new BadRequestError(features.gvisor.detail);
    if (spec.limits.diskBytes && !features.diskQuota.ok) throw new BadRequestError(features.diskQuota.detail);
  }
}

/** dockerode's connection settings for a DOCKER_HOST-style address; undefined keeps its defaults. */
export function connectionOf(host: string | undefined): Docker.DockerOptions | undefined {
  if (!host) return undefined;
  if (host.startsWith("unix://")) return { socketPath: host.slice("unix://".length) };
  const url = new URL(host.replace(/^tcp:/, "http:"));
  return { host: url.hostname, port: Number(url.port || 2375), protocol: "http" };
}
