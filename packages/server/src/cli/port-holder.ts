import { readdir, readFile, readlink } from "node:fs/promises";

const TCP_LISTEN = "0A";

/** The inodes of the sockets listening on `port` (any address), from /proc/net/tcp and tcp6. */
async function listeningInodes(port: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const lines = (await readFile(table, "utf8").catch(() => "")).split("\n").slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      if (fields.length > 9 && fields[1]!.endsWith(`:${hexPort}`) && fields[3] === TCP_LISTEN) inodes.add(fields[9]!);
    }
  }
  return inodes;
}

/**
 * Which process holds a port, as "pid 123 (python3)", for the error of a
 * server that cannot bind it; undefined when /proc does not say (another
 * user's process without root, or another network namespace).
 */
export async function describePortHolder(port: number): Promise<string | undefined> {
  const inodes = await listeningInodes(port);
  if (inodes.size === 0) return undefined;
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
    for (const fd of fds) {
      const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      if (inode && inodes.has(inode)) {
        const name = (await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "?")).trim();
        return `pid ${pid} (${name})`;
      }
    }
  }
  return undefined;
}
