import { rename as renamePath, rm, rmdir, stat as statPath, unlink } from "node:fs/promises";
import path from "node:path";

import type {
  DeleteFileRequest,
  DeleteFileResponse,
  MkdirRequest,
  MkdirResponse,
  RenameRequest,
  RenameResponse,
  StatRequest,
  StatResponse,
} from "@botbox/proto";

import { toFileEntry } from "../file-entry.js";
import { makeFolders } from "../make-folders.js";
import { resolvePath } from "../paths.js";
import { describeSystemError, errorCode, internal, invalidArgument, notFound } from "../rpc-error.js";

const isMissing = (error: unknown) => errorCode(error) === "ENOENT" || errorCode(error) === "ENOTDIR";

export async function stat(dataDir: string, request: StatRequest): Promise<StatResponse> {
  const target = resolvePath(dataDir, request.path);
  try {
    const stats = await statPath(target);
    return { entry: toFileEntry(target === "/" ? "/" : path.basename(target), stats) };
  } catch (error) {
    if (isMissing(error)) throw notFound("not found");
    throw internal(describeSystemError("stat", target, error));
  }
}

export async function mkdir(dataDir: string, request: MkdirRequest): Promise<MkdirResponse> {
  const target = resolvePath(dataDir, request.path);
  try {
    await makeFolders(target);
  } catch (error) {
    throw internal(describeSystemError("mkdir", target, error));
  }
  return {};
}

export async function rename(dataDir: string, request: RenameRequest): Promise<RenameResponse> {
  if (request.oldPath === "" || request.newPath === "") {
    throw invalidArgument("old_path and new_path are required");
  }
  const from = resolvePath(dataDir, request.oldPath);
  const to = resolvePath(dataDir, request.newPath);
  try {
    await makeFolders(path.dirname(to));
    await renamePath(from, to);
  } catch (error) {
    // The original answered INTERNAL for a missing source, which
    // the file manager turned into a 500; a missing source is a NOT_FOUND.
    if (errorCode(error) === "ENOENT" && !(await exists(from))) {
      throw notFound(describeSystemError("rename", from, error));
    }
    throw internal(describeSystemError("rename", from, error));
  }
  return {};
}

export async function deleteFile(dataDir: string, request: DeleteFileRequest): Promise<DeleteFileResponse> {
  const target = resolvePath(dataDir, request.path);
  try {
    if (request.recursive) {
      await rm(target, { recursive: true, force: true });
    } else {
      await removeOne(target);
    }
  } catch (error) {
    // Deleting what is not there succeeds: the call is idempotent.
    if (isMissing(error)) return {};
    throw internal(describeSystemError("delete", target, error));
  }
  return {};
}

/** Go's os.Remove: unlink, and if that fails because it is a folder, rmdir. */
async function removeOne(target: string): Promise<void> {
  try {
    await unlink(target);
  } catch (error) {
    const code = errorCode(error);
    if (code !== "EISDIR" && code !== "EPERM") throw error;
    await rmdir(target);
  }
}

async function exists(target: string): Promise<boolean> {
  return statPath(target).then(
    () => true,
    () => false,
  );
}
