import { once } from "node:events";
import { type FileHandle, open } from "node:fs/promises";

import type { DataChunk, ReadRawRequest, WriteRawChunk, WriteRawResponse } from "@botbox/proto";
import { type ServerReadableStream, type ServerWritableStream, status } from "@grpc/grpc-js";

import { AtomicFile } from "../atomic-file.js";
import { resolvePath } from "../paths.js";
import { type CallLog, cancellableMessages } from "../rpc-call.js";
import { describeSystemError, internal, invalidArgument, notFound, RpcError } from "../rpc-error.js";

// Raw transfers move 64 KiB per message.
export const RAW_CHUNK_BYTES = 64 * 1024;
// Disk reads are larger, then cut into messages: fewer round trips to the
// thread pool.
const READ_AHEAD_BYTES = 16 * RAW_CHUNK_BYTES;

export async function readRaw(
  dataDir: string,
  call: ServerWritableStream<ReadRawRequest, DataChunk>,
  log: CallLog,
): Promise<void> {
  const filePath = resolvePath(dataDir, call.request.path);
  log.path = filePath;
  let file: FileHandle;
  try {
    file = await open(filePath, "r");
  } catch (error) {
    throw notFound(describeSystemError("open", filePath, error));
  }
  await sendFile(file, filePath, call);
}

/** Streams an open file to the call, following its flow control; closes the file. */
export async function sendFile(
  file: FileHandle,
  shownPath: string,
  call: ServerWritableStream<unknown, DataChunk>,
): Promise<void> {
  const cancelled = once(call, "cancelled").catch(() => undefined);
  try {
    for (;;) {
      if (call.cancelled) return;
      // A fresh buffer per read: gRPC may still hold the previous one.
      const buffer = Buffer.allocUnsafe(READ_AHEAD_BYTES);
      let bytesRead: number;
      try {
        ({ bytesRead } = await file.read(buffer, 0, READ_AHEAD_BYTES, null));
      } catch (error) {
        throw internal(describeSystemError("read", shownPath, error));
      }
      // A cancel during the read: the stream takes no more writes, and no
      // drain would ever come.
      if (bytesRead === 0 || call.cancelled) return;
      let writable = true;
      for (let offset = 0; offset < bytesRead; offset += RAW_CHUNK_BYTES) {
        writable = call.write({ data: buffer.subarray(offset, Math.min(offset + RAW_CHUNK_BYTES, bytesRead)) });
      }
      if (!writable) await Promise.race([once(call, "drain"), cancelled]);
    }
  } finally {
    await file.close();
  }
}

/** Sent by botbox clients: commit only on a chunk with commit=true. */
export const EXPLICIT_COMMIT_HEADER = "botbox-explicit-commit";

export async function writeRaw(
  dataDir: string,
  call: ServerReadableStream<WriteRawChunk, WriteRawResponse>,
  log: CallLog,
): Promise<WriteRawResponse> {
  const written = await receiveUpload(call, {
    open: (chunk) => {
      if (chunk.path === "") throw invalidArgument("first chunk must include path");
      const target = resolvePath(dataDir, chunk.path);
      log.path = target;
      // Created on the first chunk even when it carries no data, so an empty
      // upload makes an empty file (the original made none).
      return AtomicFile.create(target);
    },
  });
  return written ?? { bytesWritten: 0 };
}

export interface UploadSteps<Chunk> {
  /** Vets every chunk, before anything else looks at it. */
  vet?(chunk: Chunk): void;
  /** Opens the file the upload goes to, from the first chunk. */
  open(chunk: Chunk): Promise<AtomicFile>;
  /** Vets each chunk after the first. */
  vetLater?(chunk: Chunk): void;
}

/**
 * The upload loop of WriteRaw and WriteRawNoFollow: each chunk's data goes to
 * the file the first chunk opened, which replaces its target only when the
 * stream ends whole; any failure drops it. Undefined when no chunk came.
 */
export async function receiveUpload<Chunk extends { data: Buffer; commit: boolean }>(
  call: ServerReadableStream<Chunk, WriteRawResponse>,
  steps: UploadSteps<Chunk>,
): Promise<WriteRawResponse | undefined> {
  // grpc-js half-closes a client stream just before it resets it on cancel,
  // so for clients that can say so, the end of the stream alone is not a
  // finished upload; older clients keep the original rule.
  const explicitCommit = call.metadata.get(EXPLICIT_COMMIT_HEADER).length > 0;
  let file: AtomicFile | undefined;
  let committed = false;
  try {
    for await (const chunk of cancellableMessages<Chunk>(call)) {
      steps.vet?.(chunk);
      if (committed) throw invalidArgument("no chunk may follow the one with commit=true");
      if (file === undefined) file = await steps.open(chunk);
      else steps.vetLater?.(chunk);
      if (chunk.data.length > 0) await file.write(chunk.data);
      committed = chunk.commit;
    }
    if (file === undefined) return undefined;
    if (explicitCommit && !committed) throw new RpcError(status.CANCELLED, "upload ended without its commit chunk");
    await file.commit();
    return { bytesWritten: file.bytesWritten };
  } catch (error) {
    await file?.abort();
    throw error;
  }
}
