/** The host programs isolated networking runs, found on PATH or in the system folders. */
import { spawnSync } from "node:child_process";

import { findExecutable } from "../find-bwrap.js";

/** Debian package of each tool, for the install hint. */
export const NETWORK_TOOLS = {
  slirp4netns: "slirp4netns",
  nft: "nftables",
  nsenter: "util-linux",
  unshare: "util-linux",
  setpriv: "util-linux",
  /** Holds a pooled namespace until a bot joins it (netns-pool.ts). */
  sleep: "coreutils",
} as const;

export type NetworkTool = keyof typeof NETWORK_TOOLS;

export function findTool(name: NetworkTool): string | undefined {
  return findExecutable(name);
}

/** The paths of every tool, or the list of what is missing with the packages that bring them. */
export function findNetworkTools(): { tools: Record<NetworkTool, string> } | { missing: string } {
  const found: Partial<Record<NetworkTool, string>> = {};
  const missing: string[] = [];
  for (const name of Object.keys(NETWORK_TOOLS) as NetworkTool[]) {
    const where = findTool(name);
    if (where) found[name] = where;
    else missing.push(name);
  }
  if (missing.length === 0) return { tools: found as Record<NetworkTool, string> };
  const packages = [...new Set(missing.map((name) => NETWORK_TOOLS[name as NetworkTool]))];
  return { missing: `${missing.join(", ")} not found: install with \`apt-get install ${packages.join(" ")}\`` };
}

/**
 * Whether this `unshare` takes `--setuid`/`--setgid` (util-linux 2.38 does):
 * then it becomes the bot's uid itself, one exec fewer than through setpriv.
 */
export function unshareSetsIdentity(unshare: string): boolean {
  const help = spawnSync(unshare, ["--help"], { encoding: "utf8", timeout: 5_000 });
  return /--setuid/.test(help.stdout ?? "") && /--setgid/.test(help.stdout ?? "");
}
