import { constants } from "node:fs";
import { type FileHandle, lstat, mkdir, open } from "node:fs/promises";
import path from "node:path";

import { status } from "@grpc/grpc-js";

import { resolvePath } from "./paths.js";
import { describeSystemError, errorCode, internal, invalidArgument, notFound, RpcError } from "./rpc-error.js";

/**
 * Paths the no-follow calls open one component at a time, each relative to
 * the folder opened before it, so no symbolic link anywhere on the way is
 * followed and nothing swapped in between two checks can redirect the open.
 *
 * Node has neither openat(2) nor openat2's RESOLVE_NO_SYMLINKS. Linux gives
 * the same anchoring through /proc/self/fd/<fd>/<name>: the kernel resolves
 * `<fd>` to the folder the descriptor holds (not to a path string that could
 * have changed), then looks up `<name>` in it, and O_NOFOLLOW applies to that
 * last component. A check of realpath() against the asked path instead would
 * leave a window between the check and the open in which a bot can swap a
 * folder for a link; this has none.
 */

const DIRECTORY_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

export interface AnchoredTarget {
  /** The whole path, for messages and logs. */
  readonly shown: string;
  /** The folder components from "/", root included. */
  readonly folders: string[];
  /** How many of `folders` are the root's: the folders below it may be created. */
  readonly rootDepth: number;
  /** The last component. */
  readonly name: string;
}

/**
 * Checks root and relative_path as the original's bridge did: relative_path
 * must be relative, clean and must not climb. An empty root is the data
 * folder, a relative one resolves under it, as every other path does.
 */
export function anchoredTarget(dataDir: string, root: string, relativePath: string): AnchoredTarget {
  if (root.includes("\0") || relativePath.includes("\0")) throw invalidArgument("path must not contain NUL bytes");
  if (relativePath === "") throw invalidArgument("relative_path is required");
  if (relativePath.startsWith("/")) throw invalidArgument("relative_path must be relative to root");
  const parts = relativePath.split("/");
  if (parts.some((part) => part === "" || part === "." || part === "..")) {
    throw invalidArgument(`relative_path ${JSON.stringify(relativePath)} must be clean: no "", "." or ".." component`);
  }
  const resolvedRoot = root === "" ? dataDir : resolvePath(dataDir, root);
  const rootParts = resolvedRoot.split("/").filter(Boolean);
  return {
    shown: path.join(resolvedRoot, relativePath),
    folders: [...rootParts, ...parts.slice(0, -1)],
    rootDepth: rootParts.length,
    name: parts.at(-1)!,
  };
}

/** `name` inside the folder that `folder` holds open, as a path the kernel resolves through the descriptor. */
export const inFolder = (folder: FileHandle, name: string) => `/proc/self/fd/${folder.fd}/${name}`;

/**
 * Opens the target's folder without following a link. `create` makes missing
 * folders (mode 0755) below the root's; the root itself must exist.
 */
export async function openAnchoredFolder(target: AnchoredTarget, options: { create: boolean }): Promise<FileHandle> {
  let folder = await openOrFail("/", () => open("/", DIRECTORY_FLAGS), "/");
  let walked = "";
  try {
    for (const [index, part] of target.folders.entries()) {
      walked += `/${part}`;
      const entry = inFolder(folder, part);
      if (options.create && index >= target.rootDepth) {
        await mkdir(entry, { mode: 0o755 }).catch((error: unknown) => {
          if (errorCode(error) !== "EEXIST") throw internal(describeSystemError("mkdir", walked, error));
        });
      }
      const next = await openOrFail(walked, () => open(entry, DIRECTORY_FLAGS), entry);
      await folder.close();
      folder = next;
    }
    return folder;
  } catch (error) {
    await folder.close();
    throw error;
  }
}

/**
 * Runs an open that refuses links and translates its failure: a link on the
 * way is PERMISSION_DENIED (the host's 403), a missing entry NOT_FOUND.
 */
export async function openOrFail(
  shown: string,
  opening: () => Promise<FileHandle>,
  entry: string,
): Promise<FileHandle> {
  try {
    return await opening();
  } catch (error) {
    const code = errorCode(error);
    // O_NOFOLLOW answers ELOOP for a link at the end; with O_DIRECTORY it
    // answers ENOTDIR, as for a plain file: lstat tells them apart.
    if (code === "ELOOP" || code === "ENOTDIR") {
      if (await isSymlink(entry)) throw symlinkRefused(shown);
      if (code === "ENOTDIR") throw notFound(`open ${shown}: not a directory`);
    }
    if (code === "ENOENT") throw notFound(describeSystemError("open", shown, error));
    if (code === "EACCES" || code === "EPERM")
      throw new RpcError(status.PERMISSION_DENIED, describeSystemError("open", shown, error));
    throw internal(describeSystemError("open", shown, error));
  }
}

export const symlinkRefused = (shown: string) =>
  new RpcError(
    status.PERMISSION_DENIED,
    `open ${shown}: a symbolic link is on the way, and this call never follows one`,
  );

async function isSymlink(entry: string): Promise<boolean> {
  return lstat(entry).then(
    (stats) => stats.isSymbolicLink(),
    () => false,
  );
}
