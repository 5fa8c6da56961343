import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

import type { FastifyReply, FastifyRequest } from "fastify";

import { RangeNotSatisfiableError } from "../../errors.js";
import type { DownloadableFile } from "../../workspace/index.js";
import { parseByteRange } from "./byte-range.js";
import { sliceBytes } from "./byte-streams.js";
import { attachmentDisposition, contentTypeFor } from "./content-headers.js";

/**
 * Streams a file to the client: ReadRaw piped into the response, never held
 * whole (the original buffered it), with Content-Length from the
 * stat and one Range if asked for. The workspace service checked the file.
 */
export async function sendDownload(
  file: DownloadableFile,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const target = file.path;
  const size = file.entry.size;
  // Files in /proc and the like say they are empty and are not: those are
  // streamed to their end, without a length or ranges.
  const sized = size > 0;
  const range = sized ? parseByteRange(request.headers.range, size) : undefined;
  if (range === "unsatisfiable") {
    throw new RangeNotSatisfiableError(size, `the file is ${size} bytes; the range asked for is outside it`);
  }
  const start = range?.start ?? 0;
  const length = range ? range.end - range.start + 1 : size;
  const headers: Record<string, string> = {
    "content-type": contentTypeFor(target),
    "content-disposition": attachmentDisposition(path.posix.basename(target)),
    "x-content-type-options": "nosniff",
    ...(sized ? { "accept-ranges": "bytes", "content-length": String(length) } : {}),
    ...(range ? { "content-range": `bytes ${range.start}-${range.end}/${size}` } : {}),
  };
  const status = range ? 206 : 200;
  // From here the response is written by hand: the status (206) is ours,
  // and HEAD must not read the file (Fastify's HEAD would drain the stream).
  if (request.method === "HEAD") {
    reply.hijack();
    reply.raw.writeHead(status, headers).end();
    return;
  }
  const source = await file.open();
  reply.hijack();
  reply.raw.writeHead(status, headers);
  const body = sized ? Readable.from(sliceBytes(source, start, length), { objectMode: false }) : source;
  // A client that goes away, or a file that fails midway, ends the transfer
  // (and the ReadRaw call); the client sees a short body, never a "complete" one.
  await pipeline(body, reply.raw).catch((error: unknown) => {
    source.destroy();
    request.log.info({ err: error, path: target }, "download ended early");
  });
}
