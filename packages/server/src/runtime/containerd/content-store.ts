/**
 * Blobs in containerd's content store: written through the Content service's
 * Write stream (containerd 1.6 has no Transfer service, so an import is
 * client-side, as the Go client does it), read back through Read, and a lease
 * that keeps what an import wrote from the garbage collector until the image
 * that refers to it exists.
 */
import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";

import { ConflictError } from "../../errors.js";
import {
  ReadContentRequest,
  WriteAction,
  WriteContentRequest,
} from "../../gen/containerd/github.com/containerd/containerd/api/services/content/v1/content.js";
import { type ContainerdApi, containerdError } from "./api.js";

const CHUNK = 1024 * 1024;

export interface BlobSource {
  digest: string;
  size: number;
  /** A file to stream, or the bytes themselves. */
  file?: string;
  bytes?: Buffer;
}

/** Writes a blob unless the store has it; labels are set either way. */
export async function writeBlob(
  api: ContainerdApi,
  blob: BlobSource,
  labels: Record<string, string>,
  lease: string,
): Promise<void> {
  const existing = await api.callOrMissing<unknown>(`content info ${blob.digest}`, (md, options, done) =>
    api.content.info({ digest: blob.digest }, md, options, done),
  );
  if (existing) {
    if (Object.keys(labels).length > 0)
      await api.call(`label ${blob.digest}`, (md, options, done) =>
        api.content.update(
          {
            info: { digest: blob.digest, size: blob.size, labels, createdAt: undefined, updatedAt: undefined },
            updateMask: Object.keys(labels).map((key) => `labels.${key}`),
          },
          md,
          options,
          done,
        ),
      );
    return;
  }
  try {
    await streamWrite(api, blob, labels, lease);
  } catch (error) {
    // Another writer committed the same digest meanwhile: the content is there.
    if (!(error instanceof ConflictError)) throw error;
  }
}

async function streamWrite(
  api: ContainerdApi,
  blob: BlobSource,
  labels: Record<string, string>,
  lease: string,
): Promise<void> {
  const what = `write blob ${blob.digest}`;
  const stream = api.content.write(api.metadata(lease));
  const finished = new Promise<void>((resolve, reject) => {
    stream.on("data", () => {});
    stream.on("error", (error) => reject(containerdError(error, what, api.socketPath)));
    stream.on("end", resolve);
  });
  // A failed write must not leave an unhandled rejection while chunks are still being sent.
  finished.catch(() => {});
  const ref = `botbox-${blob.digest}-${randomUUID().slice(0, 8)}`;
  const send = async (request: Partial<WriteContentRequest>) => {
    // A stream that fails (another writer committed the digest meanwhile) never drains: its error ends the wait.
    if (!stream.write(WriteContentRequest.fromPartial({ ref, ...request })))
      await Promise.race([new Promise((resolve) => stream.once("drain", resolve)), finished]);
  };
  let offset = 0;
  const chunks: AsyncIterable<Buffer> = blob.file
    ? createReadStream(blob.file, { highWaterMark: CHUNK })
    : (async function* () {
        for (let at = 0; at < blob.bytes!.length; at += CHUNK) yield blob.bytes!.subarray(at, at + CHUNK);
      })();
  for await (const chunk of chunks) {
    await send({ action: WriteAction.WRITE, offset, data: chunk, total: blob.size, expected: blob.digest });
    offset += chunk.length;
  }
  await send({ action: WriteAction.COMMIT, offset, total: blob.size, expected: blob.digest, labels });
  stream.end();
  await finished;
}

/** A whole (small) blob: a manifest, an index or a config. */
export function readBlob(api: ContainerdApi, digest: string): Promise<Buffer> {
  const what = `read blob ${digest}`;
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const stream = api.content.read(ReadContentRequest.fromPartial({ digest }), api.metadata());
    stream.on("data", (response: { data: Buffer }) => parts.push(response.data));
    stream.on("error", (error) => reject(containerdError(error, what, api.socketPath)));
    stream.on("end", () => resolve(Buffer.concat(parts)));
  });
}

/** A lease for one import: what it writes stays until the lease goes (or expires, if the server dies). */
export async function withLease<T>(api: ContainerdApi, body: (lease: string) => Promise<T>): Promise<T> {
  const id = `botbox-import-${randomUUID()}`;
  const expire = new Date(Date.now() + 3_600_000).toISOString();
  await api.call("create lease", (md, options, done) =>
    api.leases.create({ id, labels: { "containerd.io/gc.expire": expire } }, md, options, done),
  );
  try {
    return await body(id);
  } finally {
    await api
      .call("delete lease", (md, options, done) => api.leases.delete({ id, sync: false }, md, options, done))
      .catch(() => {});
  }
}
