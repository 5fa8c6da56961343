import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";

import type { FastifyReply, FastifyRequest } from "fastify";

/** The largest rest of a body that is read and dropped after an early answer. */
const DRAIN_LIMIT_BYTES = 2 ** 20;

/** How long a closing connection keeps reading what the client still sends. */
const LINGER_MS = 2_000;

/**
 * Prepares an answer sent before the request's body was read to its end (an
 * error found first, such as a stopped workspace or a size over the limit).
 * Closing the connection at once with bytes still arriving resets it, and a
 * client still sending then sees a broken pipe instead of the answer. So a
 * body declared small is read to its end and dropped, and the connection
 * stays usable; a large one, or one of unknown length (chunked), is not read
 * to its end: the answer says close, and the close lingers.
 */
export function answerBeforeBody(request: FastifyRequest, reply: FastifyReply): void {
  const raw = request.raw;
  if (raw.complete) return;
  const declared = raw.headers["content-length"];
  if (declared === undefined || Number(declared) > DRAIN_LIMIT_BYTES) {
    void reply.header("connection", "close");
    // The request may have let go of its socket already (a body stream
    // destroyed by its consumer); the answer holds it until it is sent.
    const socket = reply.raw.socket ?? raw.socket;
    if (socket) lingerOnClose(raw, socket);
    return;
  }
  // Whatever the handler piped the body into has given up on it.
  raw.unpipe();
  raw.resume();
}

/**
 * RFC 9112 §9.6's staged close. Node closes the socket as soon as the answer
 * is written; bytes the client sent meanwhile are then unread, so the kernel
 * answers them with a reset, and a client still writing gets EPIPE and drops
 * the answer it has not read yet (nodejs/node#54366: under load it loses the
 * race every time). Instead the write side is shut first and whatever still
 * arrives is read and dropped, until the client closes or LINGER_MS passes.
 */
function lingerOnClose(request: IncomingMessage, socket: Socket): void {
  socket.destroySoon = () => {
    socket.end();
    // The answer is out, so whatever read the body is done with it.
    request.unpipe();
    request.resume();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS).unref();
    socket.once("close", () => clearTimeout(timer));
  };
}
