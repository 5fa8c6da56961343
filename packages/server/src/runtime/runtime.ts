/**
 * The contract every runtime backend implements (sandbox, containerd, Docker,
 * Kubernetes). It speaks botbox's own types only: backends translate at their
 * edge. Lifecycle logic, readiness, retries and locking live in the manager;
 * a backend supplies primitive operations on one machine (or cluster).
 *
 * Errors: a backend throws NotFoundError for a missing container, image or
 * snapshot, ConflictError for one that already exists or is in the wrong state
 * (e.g. deleting a running container without force), BadRequestError for
 * invalid input, UnavailableError when the backend itself cannot be reached.
 */
import type { AgentEndpoint } from "../client/index.js";
import type { EgressPolicy } from "./egress.js";

export type { EgressPolicy } from "./egress.js";

/** `mcp-<botId>`, as the original named containers. */
export const CONTAINER_PREFIX = "mcp-";
/** Label carrying the bot id on every container. */
export const BOT_LABEL = "mcp.bot_id";

/**
 * `isolated`: its own network namespace with outbound access to the internet
 * only (not the host, other bots, link-local or private ranges), narrowed by
 * the spec's egress policy. `none`: loopback only. `host`: the old, opt-in
 * behaviour (the sandbox shares the host's network namespace; container
 * backends a plain bridge), reaching the host's services too.
 */
export type NetworkMode = "isolated" | "none" | "host";
export const NETWORK_MODES = ["isolated", "none", "host"] as const satisfies readonly NetworkMode[];

export interface ResourceLimits {
  /** Bytes of memory (RAM) the bot's processes may use together. */
  memoryBytes?: number;
  /** Processes and threads the bot may have at once. */
  pids?: number;
  /** CPU time as a number of cores, e.g. 0.5. */
  cpus?: number;
  /** Bytes of disk for the bot's writable state (and, on the sandbox, its snapshots): a hard quota. */
  diskBytes?: number;
}

/** What a backend can enforce beyond the contract's basics; a limit it cannot enforce is refused, never claimed. */
export interface RuntimeCapabilities {
  /** `limits.diskBytes` is a hard quota. */
  diskQuota: boolean;
  /** `network: "isolated"` is enforced (own namespace, host and private ranges refused, egress rules). */
  isolatedNetwork?: boolean;
  /** `isolation: "gvisor"` runs the bot under gVisor's runsc. */
  gvisor?: boolean;
  /**
   * `limits.memoryBytes`, `pids` and `cpus` are set on the cgroup of the
   * bot's processes, where the runtime contract reads them back. False: a
   * spec with any of them is refused. Absent: not declared (the contract
   * checks neither).
   */
  resourceLimits?: boolean;
  /**
   * False only for a backend whose bots are plain host processes (the tests'
   * FakeRuntime): no namespaces, so no network "none", no root of the bot's
   * own, no limits, and it refuses them. Absent: confined, as every real backend is.
   */
  confined?: boolean;
}

/** `namespaces`: the backend's own (Linux namespaces, cgroups, seccomp). `gvisor`: gVisor's user-space kernel in between. */
export type IsolationMode = "namespaces" | "gvisor";
export const ISOLATION_MODES = ["namespaces", "gvisor"] as const satisfies readonly IsolationMode[];

export interface ContainerSpec {
  /** Container id: `mcp-<botId>`. */
  id: string;
  botId: string;
  /** Image reference, already normalised (see config). */
  image: string;
  labels: Record<string, string>;
  /** Extra environment for the agent and everything it runs. */
  env: Record<string, string>;
  network: NetworkMode;
  /** Outbound rules of an `isolated` bot; undefined: the default (the internet). */
  egress?: EgressPolicy;
  /** Default `namespaces`. */
  isolation?: IsolationMode;
  limits: ResourceLimits;
  /** Secret the agent requires on every call; the backend passes it to the agent only. */
  agentToken: string;
  /** Start the writable state from this committed snapshot instead of empty. */
  fromSnapshot?: string;
}

/** What `updateContainer` may change. */
export type ContainerSettings = Pick<ContainerSpec, "network" | "egress" | "isolation" | "limits">;

export interface ContainerInfo {
  id: string;
  botId: string;
  image: string;
  labels: Record<string, string>;
  network: NetworkMode;
  egress?: EgressPolicy;
  isolation?: IsolationMode;
  limits: ResourceLimits;
  createdAt: Date;
  /** The snapshot the writable layer sits on, if any. */
  parentSnapshot?: string;
}

export type TaskState = "running" | "stopped" | "missing";

export interface TaskInfo {
  state: TaskState;
  /** Host pid of the task's init process while running. */
  pid?: number;
  startedAt?: Date;
  /** Exit code of the last run, when the backend knows it. */
  exitCode?: number;
  /** Processes of the running task the kernel killed at its memory limit, when the backend knows. */
  oomKills?: number;
  /** Memory the kernel charges the running task now (its memory cgroup), when the backend knows. */
  memoryBytes?: number;
  /** Processes in the running task now (its pids cgroup), when the backend knows. */
  processes?: number;
  /** CPU seconds the running task used since it started (its cgroup's accounting), when the backend knows. */
  cpuSeconds?: number;
  /** Bytes in use on the running bot's own disk (limits.diskBytes; disk-usage.ts), when it has one. */
  diskUsedBytes?: number;
  /** The size of that disk's file system. */
  diskSizeBytes?: number;
}

export interface StopOptions {
  /** Signal sent first. Default SIGTERM. */
  signal?: NodeJS.Signals;
  /** How long to wait after the signal before killing. Default 10 s. */
  timeoutMs?: number;
  /** Kill after the timeout instead of failing. Default true. */
  force?: boolean;
}

export interface SnapshotInfo {
  name: string;
  /** The committed snapshot this one was taken on top of. */
  parent?: string;
  createdAt: Date;
}

export interface ImageInfo {
  ref: string;
  /** A content digest or folder identity, stable for the same content. */
  id: string;
  createdAt: Date;
}

export interface DoctorCheck {
  name: string;
  ok: boolean;
  /** What was found, and when not ok, how to fix it. */
  detail: string;
}

export interface ContainerRuntime {
  /** The backend's name in the registry (backends.ts): `sandbox`, `docker`, `containerd`. */
  readonly name: string;

  /** What it can enforce here; absent means nothing beyond the basics. */
  readonly capabilities?: RuntimeCapabilities;

  /** What works on this machine and what does not, for `botbox doctor`. */
  doctor(): Promise<DoctorCheck[]>;

  ensureImage(ref: string): Promise<ImageInfo>;
  listImages(): Promise<ImageInfo[]>;
  /** Imports an OCI or Docker image tar under `ref`. */
  importImage(ref: string, tarPath: string): Promise<ImageInfo>;
  deleteImage(ref: string): Promise<void>;

  createContainer(spec: ContainerSpec): Promise<ContainerInfo>;
  getContainer(id: string): Promise<ContainerInfo | undefined>;
  /** Containers carrying every given label (an empty value matches any). */
  listContainers(labels?: Record<string, string>): Promise<ContainerInfo[]>;
  /**
   * Removes the container. The writable state and snapshots go too unless
   * `keepData` is set (preserve-on-delete). The task must be stopped.
   */
  deleteContainer(id: string, options?: { keepData?: boolean }): Promise<void>;

  /**
   * Changes a stopped container's network, egress rules, isolation or
   * limits; they take effect at its next start. BadRequestError for a change
   * the backend cannot make in place (e.g. a disk quota's size); absent: the
   * backend makes none, and new settings wait for a new container.
   */
  updateContainer?(id: string, changes: ContainerSettings): Promise<ContainerInfo>;

  /**
   * Removes what deleting a container with `keepData` left of a bot (its
   * data, its host identity), for a bot that is deleted for good, so a new
   * bot with the same id starts empty. Nothing when nothing was kept;
   * ConflictError while the bot still has a container.
   */
  discardKeptData?(botId: string): Promise<void>;

  /** Starts the task; ConflictError if it already runs. */
  startTask(id: string): Promise<TaskInfo>;
  stopTask(id: string, options?: StopOptions): Promise<TaskInfo>;
  taskInfo(id: string): Promise<TaskInfo>;
  /** Where the running task's agent listens. Stable for the task's whole life. */
  agentEndpoint(id: string): Promise<AgentEndpoint | undefined>;
  /**
   * The host folder bound at /run/botbox, where the agent keeps its rotated
   * agent.log (server logs/agent-log.ts). The bot can write in it: read
   * nothing there without refusing symlinks.
   */
  agentRunFolder?(id: string): Promise<string>;

  /**
   * Freezes the container's current writable state as snapshot `name`; the
   * container goes on from a fresh writable layer on top of it. The task must
   * be stopped. Cost is proportional to what changed since the last snapshot.
   */
  commitSnapshot(id: string, name: string): Promise<SnapshotInfo>;
  listSnapshots(id: string): Promise<SnapshotInfo[]>;
  /**
   * Replaces the container's writable state with a fresh layer on top of the
   * committed snapshot `name` (rollback). The task must be stopped.
   */
  restoreSnapshot(id: string, name: string): Promise<void>;
  deleteSnapshot(id: string, name: string): Promise<void>;

  /** Releases the backend's own resources; running tasks keep running. */
  close(): Promise<void>;

  // Optional capabilities: a backend that has one declares it here, and
  // callers test for the method rather than for the backend's name.

  /**
   * Asks the backend's service what it offers here (a daemon's runtimes,
   * its storage driver) and updates `capabilities`. Backends whose
   * capabilities are known at construction have none.
   */
  detectCapabilities?(): Promise<RuntimeCapabilities>;

  /**
   * Recreates the container on the image its reference names now (after the
   * image was rebuilt), keeping /data, snapshots and the token; a running
   * task is stopped and started again. False when it is on that image already.
   */
  upgradeContainer?(id: string): Promise<boolean>;
}
