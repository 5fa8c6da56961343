/**
 * The OCI runtime spec of a bot's container: containerd's default Linux spec
 * (the mounts, masked paths and capabilities `ctr run` gives), the image's
 * config, and botbox's own: the agent channel, /data, the limits, and the
 * network namespace (a fresh one with loopback only, or the bot's own made
 * for CNI).
 */
import { hostnameOf } from "../container-spec.js";
import type { ImageConfig } from "../image-config.js";
import type { ContainerSpec } from "../runtime.js";
import { idMappings, type IdRange } from "./id-range.js";
import type { ProcessUser } from "./image-user.js";
import type { BotPaths } from "./layout.js";
import { defaultSeccompProfile } from "./seccomp-profile.js";

export const SPEC_TYPE_URL = "types.containerd.io/opencontainers/runtime-spec/1/Spec";
export const TOKEN_VARIABLE = "BOTBOX_AGENT_TOKEN";
/** Where an agent listens in `tcp` channel mode: what images built for the original expect. */
export const AGENT_TCP_PORT = 9090;

export type ChannelMode = "unix" | "tcp";

export interface OciSpecRequest {
  spec: ContainerSpec;
  image: ImageConfig;
  paths: Pick<BotPaths, "run" | "data" | "etc">;
  channel: ChannelMode;
  /** The image's `User`, resolved (image-user.ts); default root. */
  user?: ProcessUser;
  /** The bot's network namespace for `isolated` and `host` networks; none gives a fresh one. */
  netnsPath?: string;
  /** The bot's host id range: it runs in a user namespace of its own. Absent: host ids (records made before). */
  idRange?: IdRange;
  /** Docker's default seccomp profile (seccomp-profile.ts); false only for a control in tests. Default true. */
  seccomp?: boolean;
  /** Setuid and file capabilities gain nothing; false only for a control in tests. Default true. */
  noNewPrivileges?: boolean;
}

/**
 * Docker's default set without CAP_NET_RAW: with raw sockets a bot on the
 * bridge could send ARP claiming another bot's address to the host, and in
 * the tcp channel the server would then dial it with the other bot's token.
 * ping still works: ICMP datagram sockets, allowed by ping_group_range below.
 */
const CAPABILITIES = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

const MASKED = [
  "/proc/acpi",
  "/proc/asound",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
];
const READONLY = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

/** What the agent is told, after the image's and the spec's own variables. */
export function agentEnv(spec: ContainerSpec, channel: ChannelMode): Record<string, string> {
  return {
    ...spec.env,
    MCP_LISTEN_ADDR: channel === "tcp" ? `:${AGENT_TCP_PORT}` : "unix:/run/botbox/agent.sock",
    BOTBOX_DATA_DIR: "/data",
    BOTBOX_TEMPLATE_DIR: "/opt/mcp-template",
    BOTBOX_BOT_ID: spec.botId,
    [TOKEN_VARIABLE]: spec.agentToken,
  };
}

export function ociSpec(request: OciSpecRequest): Record<string, unknown> {
  const { spec, image, paths } = request;
  const config = image.config ?? {};
  const env = new Map<string, string>();
  for (const entry of config.Env ?? []) {
    const at = entry.indexOf("=");
    if (at > 0) env.set(entry.slice(0, at), entry.slice(at + 1));
  }
  if (!env.has("PATH")) env.set("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  for (const [key, value] of Object.entries(agentEnv(spec, request.channel))) env.set(key, value);
  const args = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  const { memoryBytes, pids, cpus } = spec.limits;
  const bind = (source: string, destination: string, mode: "rw" | "ro") => ({
    destination,
    type: "bind",
    source,
    options: ["rbind", mode, "nosuid", "nodev"],
  });
  return {
    ociVersion: "1.0.2-dev",
    root: { path: "rootfs" },
    hostname: hostnameOf(spec.id),
    process: {
      terminal: false,
      user: request.user ?? { uid: 0, gid: 0 },
      args: args.length > 0 ? args : ["/bin/sh"],
      env: [...env].map(([key, value]) => `${key}=${value}`),
      cwd: config.WorkingDir || "/",
      capabilities: {
        bounding: CAPABILITIES,
        effective: CAPABILITIES,
        permitted: CAPABILITIES,
      },
      noNewPrivileges: request.noNewPrivileges ?? true,
    },
    mounts: [
      { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
      {
        destination: "/dev",
        type: "tmpfs",
        source: "tmpfs",
        options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
      },
      {
        destination: "/dev/pts",
        type: "devpts",
        source: "devpts",
        options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
      },
      {
        destination: "/dev/shm",
        type: "tmpfs",
        source: "shm",
        options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
      },
      { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
      sysMount(request),
      { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["ro", "nosuid", "noexec", "nodev"] },
      {
        destination: "/run",
        type: "tmpfs",
        source: "tmpfs",
        options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
      },
      bind(paths.run, "/run/botbox", "rw"),
      bind(paths.data, "/data", "rw"),
      bind(`${paths.etc}/hosts`, "/etc/hosts", "ro"),
      bind(`${paths.etc}/resolv.conf`, "/etc/resolv.conf", "ro"),
    ],
    linux: {
      cgroupsPath: `/botbox/${spec.id}`,
      resources: {
        devices: [{ allow: false, access: "rwm" }],
        ...(memoryBytes ? { memory: { limit: Math.floor(memoryBytes), swap: Math.floor(memoryBytes) } } : {}),
        ...(pids ? { pids: { limit: Math.floor(pids) } } : {}),
        ...(cpus ? { cpu: { quota: Math.round(cpus * 100_000), period: 100_000 } } : {}),
      },
      namespaces: [
        { type: "pid" },
        { type: "ipc" },
        { type: "uts" },
        { type: "mount" },
        request.netnsPath ? { type: "network", path: request.netnsPath } : { type: "network" },
        ...(request.idRange ? [{ type: "user" }, { type: "cgroup" }] : []),
      ],
      ...(request.idRange
        ? { uidMappings: idMappings(request.idRange), gidMappings: idMappings(request.idRange) }
        : {}),
      ...(request.seccomp === false ? {} : { seccomp: defaultSeccompProfile() }),
      // A bot's own namespace (network "none") takes the sysctl; a CNI one is set by the host (network.ts).
      ...(request.netnsPath ? {} : { sysctl: { "net.ipv4.ping_group_range": `0 ${pingGroupMax(request.idRange)}` } }),
      maskedPaths: MASKED,
      readonlyPaths: READONLY,
    },
  };
}

/** The highest gid ping may be used by: every gid the bot has (those outside a user namespace's map are invalid). */
function pingGroupMax(range: IdRange | undefined): number {
  return range ? range.size - 1 : 2147483647;
}

/**
 * sysfs can only be mounted by the owner of the network namespace: a remapped
 * bot in a CNI namespace (the host's user namespace owns it) gets the host's
 * /sys bound read-only instead, as rootless Podman does; its masked paths
 * still apply.
 */
function sysMount(request: OciSpecRequest): Record<string, unknown> {
  // gVisor's sysfs is its own Sentry's, mounted anywhere.
  if (request.idRange && request.netnsPath && request.spec.isolation !== "gvisor")
    return {
      destination: "/sys",
      type: "bind",
      source: "/sys",
      options: ["rbind", "rro", "nosuid", "noexec", "nodev"],
    };
  return { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] };
}
