/** The `[containerd]` section of botbox.toml: read by this backend only (docs/runtimes.md). */
import { z } from "zod";

export const containerdSettings = z
  .object({
    socket_path: z.string().min(1).default("/run/containerd/containerd.sock").describe("containerd's API socket"),
    namespace: z.string().min(1).default("default").describe("the containerd namespace botbox's bots live in"),
    snapshotter: z.string().min(1).default("overlayfs").describe("the snapshotter of the bots' root filesystems"),
    cni_bin_dir: z
      .string()
      .min(1)
      .default("/usr/lib/cni")
      .describe("CNI plugin executables (Debian's `containernetworking-plugins` puts them here)"),
    cni_conf_dir: z
      .string()
      .default("")
      .describe("where `10-botbox.conflist` is read from, or written to when absent; empty: `<home>/cni`"),
    subnet: z
      .string()
      .regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "must be an IPv4 CIDR such as 10.88.0.0/16")
      .default("10.88.0.0/16")
      .describe("the bots' bridge network"),
    bridge: z.string().min(1).max(15).default("botbox0").describe("the bridge interface's name"),
    agent_channel: z
      .enum(["unix", "tcp"])
      .default("unix")
      .describe(
        "`unix`: the agent's socket in `/run/botbox`; `tcp`: port 9090 on the bot's address (images built for the original)",
      ),
  })
  .strict();

export type ContainerdSettings = z.infer<typeof containerdSettings>;
