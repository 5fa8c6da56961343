/**
 * Keys botbox once accepted but never read. The original's `[mcp]` section
 * carried containerd settings; botbox's containerd backend has its own
 * `[containerd]` section, and the `[mcp]` copies changed nothing.
 *
 * A retired key in a file is a warning, not an error: files written for the
 * original (or an older botbox) hold them, and refusing to start over a key
 * that never had an effect would break a working server for nothing. The
 * warning names the key that does the job, so nobody believes the old one
 * still works.
 */
export const RETIRED_KEYS: Readonly<Record<string, string>> = {
  "mcp.snapshotter": "the containerd backend's snapshotter is [containerd] snapshotter",
  "mcp.cni_bin_dir": "the containerd backend's CNI plugins are found in [containerd] cni_bin_dir",
  "mcp.cni_conf_dir": "the containerd backend's CNI configuration is [containerd] cni_conf_dir",
};
