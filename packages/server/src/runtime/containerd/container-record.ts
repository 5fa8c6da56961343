/**
 * Translation between botbox's container spec and containerd's container
 * record, both ways. containerd is the record: the spec rides on a label, the
 * token in the OCI spec's env the agent needs anyway, so a new runtime
 * instance (after a server restart) finds every container by its labels.
 */
import type { Container } from "../../gen/containerd/github.com/containerd/containerd/api/services/containers/v1/containers.js";
import { BOT_LABEL, type ContainerInfo, type ContainerSpec } from "../runtime.js";
import { containerInfoFrom, containerSpecFrom, type StoredSpec as CommonStoredSpec } from "../stored-spec.js";
import type { IdRange } from "./id-range.js";
import type { ProcessUser } from "./image-user.js";
import { type ChannelMode, TOKEN_VARIABLE } from "./oci-spec.js";

/** Marks containers this runtime made. */
export const RUNTIME_LABEL = "org.botbox.runtime";
/** The botbox spec, without its token, as JSON. */
export const SPEC_LABEL = "org.botbox.spec";
/** The snapshot the writable layer sits on, if any. */
export const PARENT_LABEL = "org.botbox.parent-snapshot";

export interface StoredSpec extends CommonStoredSpec {
  /** The host ids its user namespace maps to; absent in records made before remapping (host ids). */
  idRange?: IdRange;
  /** The image's manifest digest when the container was made (absent in records made before upgrades). */
  imageId?: string;
  channel: ChannelMode;
  /** The host folders bound at /run/botbox and /data (a runtime in another home still finds them). */
  run: string;
  data: string;
}

export function recordLabels(spec: ContainerSpec, stored: StoredSpec, parentSnapshot?: string): Record<string, string> {
  return {
    ...spec.labels,
    [BOT_LABEL]: spec.botId,
    [RUNTIME_LABEL]: "containerd",
    [SPEC_LABEL]: JSON.stringify(stored),
    ...(parentSnapshot ? { [PARENT_LABEL]: parentSnapshot } : {}),
  };
}

export function storedSpecOf(container: Container): StoredSpec | undefined {
  const raw = container.labels[SPEC_LABEL];
  if (container.labels[RUNTIME_LABEL] !== "containerd" || raw === undefined || !container.labels[BOT_LABEL])
    return undefined;
  return JSON.parse(raw) as StoredSpec;
}

export function containerInfoOf(container: Container): ContainerInfo | undefined {
  const stored = storedSpecOf(container);
  const botId = container.labels[BOT_LABEL];
  if (!stored || !botId) return undefined;
  return containerInfoFrom(container.id, botId, stored, container.labels[PARENT_LABEL]);
}

/** The botbox spec a container was made from, token included (from the OCI spec's env). */
export function containerSpecOf(container: Container): ContainerSpec | undefined {
  const info = containerInfoOf(container);
  const stored = storedSpecOf(container);
  if (!info || !stored) return undefined;
  return containerSpecFrom(info, { labels: stored.labels, env: stored.env, agentToken: tokenOf(container) ?? "" });
}

export function tokenOf(container: Container): string | undefined {
  const entry = processOf(container)?.env?.find((variable) => variable.startsWith(`${TOKEN_VARIABLE}=`));
  return entry?.slice(TOKEN_VARIABLE.length + 1);
}

/** The user the task runs as, from the OCI spec. */
export function processUserOf(container: Container): ProcessUser | undefined {
  return processOf(container)?.user;
}

function processOf(container: Container): { env?: string[]; user?: ProcessUser } | undefined {
  if (!container.spec) return undefined;
  return (JSON.parse(Buffer.from(container.spec.value).toString("utf8")) as { process?: ReturnType<typeof processOf> })
    .process;
}
