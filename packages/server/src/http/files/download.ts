import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

import type { FastifyReply, FastifyRequest } from "fastify";

import type { AgentClient, FileEntry } from "../../client/index.js";
import { BadRequestError, RangeNotSatisfiableError } from "../../errors.js";
import { parseByteRange } from "./byte-range.js";
import { sliceBytes } from "./byte-streams.js";
import { attachmentDisposition, contentTypeFor } from "./content-headers.js";
import { isRegularFile } from "./entry-view.js";

/**
 * Streams a file to the client: ReadRaw piped into the response, never held
 * whole (the original buffered it), with Content-Length from the
 * stat and one Range if asked for.
 */
export async function sendDownload(
  agent: AgentClient,
  target: string,
  entry: FileEntry,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  if (entry.isDir) throw new BadRequestError(`${target} is a directory, not a file`);
  if (!isRegularFile(entry)) throw new BadRequestError(`${target} is not a regular file`);
  const size = Number(entry.size);
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
  const source = await agent.readRaw(target);
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
