import { constants, type Stats } from "node:fs";
import { type FileHandle, lstat, open } from "node:fs/promises";

import type { DataChunk, ReadRawNoFollowRequest, WriteRawNoFollowChunk, WriteRawResponse } from "@botbox/proto";
import { type ServerReadableStream, type ServerWritableStream, status } from "@grpc/grpc-js";

import {
  type AnchoredTarget,
  anchoredTarget,
  inFolder,
  openAnchoredFolder,
  openOrFail,
  symlinkRefused,
} from "../anchored-path.js";
import { AtomicFile } from "../atomic-file.js";
import type { CallLog } from "../rpc-call.js";
import { describeSystemError, errorCode, internal, invalidArgument, RpcError } from "../rpc-error.js";
import { receiveUpload, sendFile } from "./raw.js";

// O_NONBLOCK: opening a FIFO a bot put there must not hang the call; the
// fstat below then refuses it.
const FILE_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** ReadRaw anchored at root: no link followed anywhere, and only a regular file is read. */
export async function readRawNoFollow(
  dataDir: string,
  call: ServerWritableStream<ReadRawNoFollowRequest, DataChunk>,
  log: CallLog,
): Promise<void> {
  const target = anchoredTarget(dataDir, call.request.root, call.request.relativePath);
  log.path = target.shown;
  const folder = await openAnchoredFolder(target, { create: false });
  let file: FileHandle;
  try {
    const entry = inFolder(folder, target.name);
    file = await openOrFail(target.shown, () => open(entry, FILE_FLAGS), entry);
  } finally {
    await folder.close();
  }
  try {
    refuseUnlessRegular(target, await file.stat());
  } catch (error) {
    await file.close();
    throw error;
  }
  await sendFile(file, target.shown, call);
}

/**
 * WriteRaw anchored at root: missing folders below root are made, none is
 * followed through a link, and the file is written beside its target and
 * renamed over it, which replaces a name and never follows one. An existing
 * target must be a regular file, and is replaced only when the first chunk
 * says `replace`.
 */
export async function writeRawNoFollow(
  dataDir: string,
  call: ServerReadableStream<WriteRawNoFollowChunk, WriteRawResponse>,
  log: CallLog,
): Promise<WriteRawResponse> {
  let folder: FileHandle | undefined;
  try {
    const written = await receiveUpload(call, {
      vet: (chunk) => {
        if (chunk.abort) throw new RpcError(status.ABORTED, "the sender aborted the upload; nothing was written");
      },
      open: async (chunk) => {
        const target = anchoredTarget(dataDir, chunk.root, chunk.relativePath);
        log.path = target.shown;
        folder = await openAnchoredFolder(target, { create: true });
        const entry = inFolder(folder, target.name);
        const existing = await lstatIfAny(entry, target.shown);
        if (existing) {
          refuseUnlessRegular(target, existing);
          if (!chunk.replace) throw new RpcError(status.ALREADY_EXISTS, `create ${target.shown}: it already exists`);
        }
        return AtomicFile.beside(entry, existing, target.shown);
      },
      vetLater: (chunk) => {
        if (chunk.root !== "" || chunk.relativePath !== "")
          throw invalidArgument("root and relative_path may only be in the first chunk");
      },
    });
    if (written === undefined) throw invalidArgument("the first chunk must carry root and relative_path");
    return written;
  } finally {
    await folder?.close();
  }
}

function refuseUnlessRegular(target: AnchoredTarget, stats: Stats): void {
  if (stats.isSymbolicLink()) throw symlinkRefused(target.shown);
  if (stats.isDirectory()) throw invalidArgument(`${target.shown} is a directory`);
  if (!stats.isFile()) {
    throw new RpcError(
      status.PERMISSION_DENIED,
      `${target.shown} is not a regular file; this call reads and writes only those`,
    );
  }
}

async function lstatIfAny(entry: string, shown: string): Promise<Stats | undefined> {
  try {
    return await lstat(entry);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw internal(describeSystemError("stat", shown, error));
  }
}
