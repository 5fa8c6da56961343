import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import type { NetworkMode } from "../runtime.js";
import { SLIRP_DNS } from "./network/index.js";

/**
 * The bot's own hosts, hostname and resolv.conf, bound over the image's at
 * start. resolv.conf is re-read from the host each start, so a changed host
 * resolver reaches bots on their next start (the original bound the host's file once);
 * an isolated bot asks slirp4netns's forwarder, which asks the host's.
 */
export async function writeBotEtc(etcDir: string, hostname: string, network: NetworkMode): Promise<void> {
  await mkdir(etcDir, { recursive: true, mode: 0o755 });
  const hosts = `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t${hostname}\n`;
  const resolv =
    network === "host"
      ? await readFile("/etc/resolv.conf", "utf8").catch(() => "")
      : network === "isolated"
        ? `nameserver ${SLIRP_DNS}\n`
        : "";
  await writeFile(path.join(etcDir, "hosts"), hosts, { mode: 0o644 });
  await writeFile(path.join(etcDir, "hostname"), `${hostname}\n`, { mode: 0o644 });
  await writeFile(path.join(etcDir, "resolv.conf"), resolv, { mode: 0o644 });
}
