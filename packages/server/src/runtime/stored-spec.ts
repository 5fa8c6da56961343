/**
 * What a container backend (Docker, containerd) keeps of a bot's spec on the
 * container itself, as a label: everything but the agent's token, so that a
 * new runtime instance finds each bot's spec where it finds the container.
 */
import type { EgressPolicy } from "./egress.js";
import { BOT_LABEL, type ContainerInfo, type ContainerSpec, type IsolationMode, type NetworkMode } from "./runtime.js";

export interface StoredSpec {
  image: string;
  labels: Record<string, string>;
  env: Record<string, string>;
  network: NetworkMode;
  /** An isolated bot's egress policy, normalised; absent: the internet. The host firewall is rebuilt from it. */
  egress?: EgressPolicy;
  limits: ContainerSpec["limits"];
  /** Absent: namespaces. */
  isolation?: IsolationMode;
  createdAt: string;
}

/** The runtime contract's view of a container from its stored spec and its labels' bot and parent snapshot. */
export function containerInfoFrom(
  id: string,
  botId: string,
  stored: StoredSpec,
  parentSnapshot: string | undefined,
): ContainerInfo {
  return {
    id,
    botId,
    image: stored.image,
    labels: { ...stored.labels, [BOT_LABEL]: botId },
    network: stored.network,
    ...(stored.egress ? { egress: stored.egress } : {}),
    ...(stored.isolation ? { isolation: stored.isolation } : {}),
    limits: { ...stored.limits },
    createdAt: new Date(stored.createdAt),
    ...(parentSnapshot ? { parentSnapshot } : {}),
  };
}

/** The spec a container was made from: its info, plus what the info leaves out, read from the container. */
export function containerSpecFrom(
  info: ContainerInfo,
  rest: { labels: Record<string, string>; env: Record<string, string>; agentToken: string },
): ContainerSpec {
  return {
    id: info.id,
    botId: info.botId,
    image: info.image,
    labels: rest.labels,
    env: rest.env,
    network: info.network,
    ...(info.egress ? { egress: info.egress } : {}),
    ...(info.isolation ? { isolation: info.isolation } : {}),
    limits: info.limits,
    agentToken: rest.agentToken,
  };
}

/** Whether a container's info (or spec) carries every wanted label (an empty wanted value matches any). */
export function hasLabels(container: { labels: Record<string, string> }, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([key, value]) =>
    value === "" ? key in container.labels : container.labels[key] === value,
  );
}
