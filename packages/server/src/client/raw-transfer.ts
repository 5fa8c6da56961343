// The streaming halves of ReadRaw/WriteRaw and their no-follow variants:
// one download wrapper and one upload loop that both pairs share.
import { once } from "node:events";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";

import type { DataChunk } from "@botbox/proto";
import { type ClientReadableStream, type ClientWritableStream, type Metadata, type ServiceError } from "@grpc/grpc-js";

import { mapGrpcError } from "./error-mapping.js";

/** Metadata that asks the agent to commit an upload only on a chunk with commit=true. */
export const EXPLICIT_COMMIT_HEADER = "botbox-explicit-commit";

/** How long a failed upload waits for the agent to confirm it dropped the partial file. */
const ABORT_ANSWER_MS = 5_000;

/** Uploads move 64 KiB per message. */
export const RAW_CHUNK_BYTES = 64 * 1024;

export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array | string;

/**
 * The file a ReadRaw-like call streams, handed out once the first message,
 * the end or an error arrived, so a missing file fails here.
 */
export async function readableOf(call: ClientReadableStream<DataChunk>): Promise<Readable> {
  let ended = false;
  let handedOut = false;
  const output = new Readable({
    // Flow control: gRPC pauses while the reader is behind.
    read: () => call.resume(),
    destroy: (error, callback) => {
      if (!ended) call.cancel();
      callback(error);
    },
  });
  await new Promise<void>((resolve, reject) => {
    call.on("data", (message: DataChunk) => {
      resolve();
      if (!output.push(message.data)) call.pause();
    });
    call.on("end", () => {
      ended = true;
      resolve();
      output.push(null);
    });
    call.on("error", (error) => {
      ended = true;
      const failure = mapGrpcError(error) as Error;
      // Before the stream is handed out the caller gets the error from the
      // promise; after, from the stream.
      if (handedOut) output.destroy(failure);
      else reject(failure);
    });
  });
  handedOut = true;
  return output;
}

type StartUpload<Chunk> = (
  metadata: Metadata,
  callback: (error: ServiceError | null, response?: { bytesWritten: number }) => void,
) => ClientWritableStream<Chunk>;

/**
 * Sends `source` in 64 KiB chunks made by `chunkOf`, always ending with a
 * commit chunk, and resolves with the agent's byte count.
 */
export async function upload<Chunk>(
  start: StartUpload<Chunk>,
  metadata: Metadata,
  source: ByteSource,
  chunkOf: (data: Buffer, first: boolean, commit: boolean) => Chunk,
): Promise<number> {
  let settle!: (error: ServiceError | null, bytesWritten: number) => void;
  const done = new Promise<number>((resolve, reject) => {
    settle = (error, bytesWritten) => (error ? reject(mapGrpcError(error)) : resolve(bytesWritten));
  });
  // Failures reach the caller through `return done`; until then nothing
  // awaits it, and an unhandled rejection would end the server.
  void done.catch(() => undefined);
  // Only a chunk with commit=true completes the upload; a cancel can then
  // never be mistaken for a finished upload (see WriteRawChunk.commit).
  metadata.set(EXPLICIT_COMMIT_HEADER, "1");
  const call = start(metadata, (error, response) => settle(error, Number(response?.bytesWritten ?? 0)));
  const send = async (message: Chunk) => {
    if (!call.write(message)) await Promise.race([once(call, "drain"), done]);
  };
  try {
    let first = true;
    const chunks =
      typeof source === "string" ? [Buffer.from(source)] : source instanceof Uint8Array ? [source] : source;
    for await (const piece of chunks) {
      const chunk = asBuffer(piece);
      for (let offset = 0; offset < chunk.length; offset += RAW_CHUNK_BYTES) {
        await send(chunkOf(chunk.subarray(offset, offset + RAW_CHUNK_BYTES), first, false));
        first = false;
      }
    }
    // Always a message with the path, so an empty upload creates the file.
    await send(chunkOf(Buffer.alloc(0), first, true));
  } catch (error) {
    // Ending without the commit chunk makes the agent drop its temporary
    // file and only then answer, so when this throws nothing is left; the
    // old content stays. An agent that does not answer is cancelled.
    call.end();
    const answered = await Promise.race([
      done.then(
        () => true,
        () => true,
      ),
      sleep(ABORT_ANSWER_MS, false, { ref: false }),
    ]);
    if (!answered) call.cancel();
    throw mapGrpcError(error);
  }
  call.end();
  return done;
}

const asBuffer = (chunk: Uint8Array): Buffer =>
  Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
