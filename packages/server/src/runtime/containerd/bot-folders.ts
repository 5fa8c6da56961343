/**
 * A bot's host folders: its root (root's, 0700), the socket folder bound at
 * /run/botbox, /data, and the /etc files bound into it (hosts, resolv.conf).
 */
import { existsSync } from "node:fs";
import { chown, copyFile, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

import type { Container } from "../../gen/containerd/github.com/containerd/containerd/api/services/containers/v1/containers.js";
import { hostnameOf } from "../container-spec.js";
import { storedSpecOf } from "./container-record.js";
import type { IdRange } from "./id-range.js";
import type { ProcessUser } from "./image-user.js";
import { type BotPaths, botPaths } from "./layout.js";

/** Makes the folders, owned by the bot's user (shifted into its id range); writes its hosts and resolv.conf. */
export async function prepareBotFolders(
  home: string,
  botId: string,
  owner?: ProcessUser,
  idRange?: IdRange,
): Promise<void> {
  const paths = botPaths(home, botId);
  await mkdir(path.dirname(paths.root), { recursive: true, mode: 0o711 });
  await mkdir(paths.root, { recursive: true, mode: 0o700 });
  await mkdir(paths.run, { recursive: true, mode: 0o700 });
  await mkdir(paths.data, { recursive: true, mode: 0o755 });
  // The agent runs as the image's user: a non-root one must own the folders it listens and writes in
  // (no other host user reaches them: the bot's folder is root's, 0700).
  // In a user namespace, even the bot's root is a host id of its range.
  const shift = idRange?.first ?? 0;
  if ((owner && owner.uid !== 0) || shift !== 0)
    for (const folder of [paths.run, paths.data])
      await chown(folder, shift + (owner?.uid ?? 0), shift + (owner?.gid ?? 0));
  await mkdir(paths.etc, { recursive: true, mode: 0o755 });
  const hostname = hostnameOf(`mcp-${botId}`);
  await writeFile(
    path.join(paths.etc, "hosts"),
    `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t${hostname}\n`,
  );
  // The host's resolver list; systemd-resolved's real one rather than its 127.0.0.53 stub.
  const resolv = existsSync("/run/systemd/resolve/resolv.conf")
    ? "/run/systemd/resolve/resolv.conf"
    : "/etc/resolv.conf";
  await copyFile(resolv, path.join(paths.etc, "resolv.conf")).catch(() =>
    writeFile(path.join(paths.etc, "resolv.conf"), ""),
  );
}

/** The socket folder a container was made with, even if this runtime's home is another. */
export function runFolderOf(container: Container, paths: BotPaths): { socket: string } {
  const run = storedSpecOf(container)?.run ?? paths.run;
  return { socket: path.join(run, "agent.sock") };
}
