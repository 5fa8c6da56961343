import { type FileHandle, realpath, stat } from "node:fs/promises";

import { status } from "@grpc/grpc-js";

import { openAnchoredFolder } from "../anchored-path.js";
import { resolvePath } from "../paths.js";
import { describeSystemError, errorCode, invalidArgument, notFound, RpcError } from "../rpc-error.js";

export interface WatchRoot {
  /** The folder, resolved: absolute, no symbolic link in it. */
  readonly path: string;
  /**
   * The folder, open: its watch is put on this very folder. Closed once the
   * watch started (an open descriptor would keep a deleted folder's inode
   * alive, and inotify would never say it was deleted).
   */
  readonly handle: FileHandle;
  /** The folder's identity, to tell it from one made later at the same path. */
  readonly dev: number;
  readonly ino: number;
}

/**
 * Resolves the folder a caller asks to watch and opens it. Links on the way
 * are followed, as every file call follows them, but where they lead must be
 * inside one of `roots`: a link in the data folder to /etc does not make
 * /etc watchable. The resolved path is then opened one component at a time
 * without following any link (anchored-path.ts), so a folder swapped for a
 * link between the check and the open is refused, not followed.
 */
export async function openWatchRoot(dataDir: string, roots: readonly string[], requested: string): Promise<WatchRoot> {
  const asked = resolvePath(dataDir, requested);
  let resolved: string;
  try {
    resolved = await realpath(asked);
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") throw notFound(`watch ${asked}: no such folder`);
    if (code === "EACCES") throw new RpcError(status.PERMISSION_DENIED, describeSystemError("watch", asked, error));
    throw invalidArgument(describeSystemError("watch", asked, error));
  }
  const allowed = await resolvedRoots(roots);
  if (!allowed.some((root) => resolved === root || resolved.startsWith(root === "/" ? "/" : `${root}/`))) {
    const via = resolved === asked ? "" : ` (it resolves to ${resolved})`;
    throw new RpcError(
      status.PERMISSION_DENIED,
      `watch ${asked}: outside the folders this agent watches${via}; those are ${roots.join(", ")} (BOTBOX_WATCH_ROOTS)`,
    );
  }
  const stats = await stat(resolved).catch(() => undefined);
  if (stats === undefined) throw notFound(`watch ${asked}: no such folder`);
  if (!stats.isDirectory()) throw invalidArgument(`watch ${asked}: not a folder; watch the folder it is in`);
  const parts = resolved.split("/").filter(Boolean);
  const handle = await openAnchoredFolder(
    { shown: resolved, folders: parts, rootDepth: parts.length, name: "" },
    {
      create: false,
    },
  );
  const opened = await handle.stat().catch(async (error: unknown) => {
    await handle.close();
    throw error;
  });
  return { path: resolved, handle, dev: opened.dev, ino: opened.ino };
}

/** The roots as they are on disk; a root that does not exist allows nothing. */
async function resolvedRoots(roots: readonly string[]): Promise<string[]> {
  const resolved = await Promise.all(roots.map((root) => realpath(root).catch(() => undefined)));
  return resolved.filter((root): root is string => root !== undefined);
}
