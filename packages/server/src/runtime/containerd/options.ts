/** What a ContainerdRuntime is made with, and how the server's `[containerd]` section gives it. */
import type { BotboxConfig } from "../../config/index.js";
import type { ChannelMode } from "./oci-spec.js";

export interface ContainerdRuntimeOptions {
  /** botbox's state folder: bots' sockets, /data folders and snapshot copies live under it. */
  home: string;
  socketPath: string;
  /** Default `default`. */
  namespace?: string;
  /** Default `overlayfs`. */
  snapshotter?: string;
  /** Default Debian's `/usr/lib/cni`. */
  cniBinDir?: string;
  /** Where `10-botbox.conflist` is read from, or written to when absent; default `<home>/cni`. */
  cniConfDir?: string;
  /** host-local's records; default its own, /var/lib/cni/networks. */
  cniIpamDataDir?: string;
  /** Default `10.88.0.0/16`. */
  subnet?: string;
  /** Default `botbox0`. */
  bridge?: string;
  /** `unix` (default): the socket in /run/botbox. `tcp`: :9090 on the bot's address, for images built for the original. */
  agentChannel?: ChannelMode;
  /** Image tars imported when their ref is first needed, e.g. `{ "botbox/agent:latest": "images/dist/botbox-agent.tar" }`. */
  knownImages?: Record<string, string>;
  /** runsc for `isolation: "gvisor"`; default the one on PATH; "" turns gVisor off. */
  runscPath?: string;
  /**
   * Hardening that is on by default; false only for the controls in tests
   * (the same attempt succeeding without the protection). Containers made
   * with one off record it and keep it.
   */
  userNamespaces?: boolean;
  seccomp?: boolean;
  noNewPrivileges?: boolean;
}

/** The runtime's options from the server config's `[containerd]` section. */
export function containerdOptionsFrom(
  home: string,
  section: BotboxConfig["containerd"],
  knownImages: Record<string, string>,
): ContainerdRuntimeOptions {
  return {
    home,
    socketPath: section.socket_path,
    namespace: section.namespace,
    snapshotter: section.snapshotter,
    cniBinDir: section.cni_bin_dir,
    ...(section.cni_conf_dir ? { cniConfDir: section.cni_conf_dir } : {}),
    subnet: section.subnet,
    bridge: section.bridge,
    agentChannel: section.agent_channel,
    knownImages,
  };
}
