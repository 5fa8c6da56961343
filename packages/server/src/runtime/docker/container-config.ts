/**
 * Translation between botbox's container spec and Docker's container config,
 * both ways. The daemon is the only record: the spec rides on a label, the
 * agent's token in the env it already needs, so a new runtime instance (after
 * a server restart) finds every container by its labels.
 */
import type { ContainerCreateOptions, ContainerInspectInfo } from "dockerode";

import { hostnameOf } from "../container-spec.js";
import { isDefaultEgress, normaliseEgress } from "../egress.js";
import { BOT_LABEL, type ContainerInfo, type ContainerSpec, type TaskInfo } from "../runtime.js";
import { containerInfoFrom, containerSpecFrom, type StoredSpec } from "../stored-spec.js";
import { DROPPED_CAPABILITIES, SECURITY_OPTIONS } from "./hardening.js";
import type { DockerBotPaths } from "./layout.js";

/** Marks containers (and images) this runtime made. */
export const RUNTIME_LABEL = "org.botbox.runtime";
/** The botbox spec, without its token, as JSON. */
export const SPEC_LABEL = "org.botbox.spec";
/** The snapshot the container's image is, if any. */
export const PARENT_LABEL = "org.botbox.parent-snapshot";

const TOKEN_VARIABLE = "BOTBOX_AGENT_TOKEN";

/** What the agent is told, after the image's and the spec's own variables. */
export function agentEnv(spec: ContainerSpec): Record<string, string> {
  return {
    ...spec.env,
    MCP_LISTEN_ADDR: "unix:/run/botbox/agent.sock",
    BOTBOX_DATA_DIR: "/data",
    BOTBOX_TEMPLATE_DIR: "/opt/mcp-template",
    BOTBOX_BOT_ID: spec.botId,
    [TOKEN_VARIABLE]: spec.agentToken,
  };
}

export interface CreateRequest {
  spec: ContainerSpec;
  /** The image to run: the spec's, or a snapshot's. */
  imageId: string;
  paths: Pick<DockerBotPaths, "run" | "data">;
  /** The Docker network for `isolated` and `host` (a bridge without inter-container traffic). */
  bridge: string;
  parentSnapshot?: string;
  createdAt: Date;
  /** The daemon's runtime name for gVisor (`runsc`); required when the spec asks for gVisor. */
  gvisorRuntime?: string;
}

export function createOptions(request: CreateRequest): ContainerCreateOptions {
  const { spec, paths } = request;
  const stored: StoredSpec = {
    image: spec.image,
    labels: spec.labels,
    env: spec.env,
    network: spec.network,
    ...(spec.network === "isolated" && !isDefaultEgress(spec.egress) ? { egress: normaliseEgress(spec.egress!) } : {}),
    ...(spec.isolation ? { isolation: spec.isolation } : {}),
    limits: spec.limits,
    createdAt: request.createdAt.toISOString(),
  };
  const { memoryBytes, pids, cpus } = spec.limits;
  if (spec.isolation === "gvisor" && !request.gvisorRuntime)
    throw new Error("createOptions: a gVisor spec needs the daemon's gVisor runtime name");
  return {
    name: spec.id,
    Image: request.imageId,
    Hostname: hostnameOf(spec.id),
    Env: Object.entries(agentEnv(spec)).map(([key, value]) => `${key}=${value}`),
    Labels: {
      ...spec.labels,
      [BOT_LABEL]: spec.botId,
      [RUNTIME_LABEL]: "docker",
      [SPEC_LABEL]: JSON.stringify(stored),
      ...(request.parentSnapshot ? { [PARENT_LABEL]: request.parentSnapshot } : {}),
    },
    HostConfig: {
      NetworkMode: spec.network === "none" ? "none" : request.bridge,
      // hardening.ts says what is dropped and why; NET_RAW among them: the host firewall knows an
      // isolated bot by its bridge address, and without raw sockets it cannot send from another's.
      CapDrop: [...DROPPED_CAPABILITIES],
      SecurityOpt: [...SECURITY_OPTIONS],
      ...(spec.isolation === "gvisor" ? { Runtime: request.gvisorRuntime } : {}),
      Mounts: [
        { Type: "bind", Source: paths.run, Target: "/run/botbox" },
        { Type: "bind", Source: paths.data, Target: "/data" },
      ],
      RestartPolicy: { Name: "no" },
      ...(memoryBytes ? { Memory: Math.floor(memoryBytes), MemorySwap: Math.floor(memoryBytes) } : {}),
      ...(pids ? { PidsLimit: Math.floor(pids) } : {}),
      ...(cpus ? { NanoCpus: Math.round(cpus * 1e9) } : {}),
    },
  };
}

/** The botbox spec a container was made from; undefined for containers of others. */
export function specOf(inspect: ContainerInspectInfo): ContainerSpec | undefined {
  const labels = inspect.Config.Labels ?? {};
  const info = containerInfoOf(inspect.Name, labels);
  if (!info) return undefined;
  const stored = JSON.parse(labels[SPEC_LABEL]!) as StoredSpec;
  const token = (inspect.Config.Env ?? []).find((entry) => entry.startsWith(`${TOKEN_VARIABLE}=`));
  return containerSpecFrom(info, {
    labels: info.labels,
    env: stored.env,
    agentToken: token?.slice(TOKEN_VARIABLE.length + 1) ?? "",
  });
}

/** When the container was first made for its bot; kept across snapshot recreations. */
export function createdAtOf(inspect: ContainerInspectInfo): Date {
  return containerInfoOf(inspect.Name, inspect.Config.Labels ?? {})?.createdAt ?? new Date(inspect.Created);
}

/** A container's botbox view, from its name and labels (a listing gives both). */
export function containerInfoOf(name: string, labels: Record<string, string>): ContainerInfo | undefined {
  const raw = labels[SPEC_LABEL];
  const botId = labels[BOT_LABEL];
  if (labels[RUNTIME_LABEL] !== "docker" || raw === undefined || botId === undefined) return undefined;
  const stored = JSON.parse(raw) as StoredSpec;
  return containerInfoFrom(name.replace(/^\//, ""), botId, stored, labels[PARENT_LABEL]);
}

const NEVER = "0001-01-01T00:00:00Z";

export function taskInfoOf(inspect: ContainerInspectInfo): TaskInfo {
  const state = inspect.State;
  if (state.Running) return { state: "running", pid: state.Pid, startedAt: new Date(state.StartedAt) };
  if (!state.StartedAt || state.StartedAt === NEVER) return { state: "missing" };
  return { state: "stopped", startedAt: new Date(state.StartedAt), exitCode: state.ExitCode };
}

/** The host folders a container has bound at /run/botbox and /data. */
export function boundFolders(inspect: ContainerInspectInfo): Pick<DockerBotPaths, "run" | "data"> | undefined {
  const source = (target: string) => inspect.Mounts.find((mount) => mount.Destination === target)?.Source;
  const run = source("/run/botbox");
  const data = source("/data");
  return run && data ? { run, data } : undefined;
}
