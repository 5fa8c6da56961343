import type { FastifyReply, FastifyRequest } from "fastify";

/** The largest rest of a body that is read and dropped after an early answer. */
const DRAIN_LIMIT_BYTES = 2 ** 20;

/**
 * Prepares an answer sent before the request's body was read to its end (an
 * error found first, such as a stopped workspace or a size over the limit).
 * Closing the connection at once with bytes still arriving resets it, and a
 * client still sending then sees a broken pipe instead of the answer. So a
 * body declared small is read to its end and dropped, and the connection
 * stays usable; a large one, or one of unknown length (chunked), is not read
 * on: the answer says close.
 */
export function answerBeforeBody(request: FastifyRequest, reply: FastifyReply): void {
  const raw = request.raw;
  if (raw.complete) return;
  const declared = raw.headers["content-length"];
  if (declared === undefined || Number(declared) > DRAIN_LIMIT_BYTES) {
    void reply.header("connection", "close");
    return;
  }
  // Whatever the handler piped the body into has given up on it.
  raw.unpipe();
  raw.resume();
}
