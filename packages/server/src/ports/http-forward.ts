import { type IncomingHttpHeaders, type IncomingMessage, request as httpRequest } from "node:http";
import type { Socket } from "node:net";
import type { Duplex, Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

import { BotboxError, PortUnreachableError } from "../errors.js";
import { type ClientSide, upstreamRequestHeaders } from "./proxy-headers.js";

/** One client request to pass on, its body unread. */
export interface ForwardedRequest {
  method: string;
  /** The path in the app (the part after the prefix), with its query. */
  path: string;
  /** The mount point, e.g. `/bots/b1/ports/3000`. */
  prefix: string;
  headers: IncomingHttpHeaders;
  body: Readable;
  client: ClientSide;
  /** The client's connection: when it closes (the client went away), the tunnel goes with it. */
  connection?: Socket;
}

/**
 * An HTTP/1.1 request over the tunnel, its body streamed from the client as
 * the tunnel takes it; resolves with the response's head. One tunnel per
 * request (Connection: close to the app): a tunnel is a cheap stream on the
 * agent's existing channel, and a kept-alive one would hold a slot of the
 * bot's bound with nobody using it.
 */
export function forwardHttp(tunnel: Duplex, port: number, request: ForwardedRequest): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({
      method: request.method,
      path: request.path,
      headers: upstreamRequestHeaders(request.headers, port, request.prefix, request.client),
      createConnection: () => tunnel as Socket,
    });
    const fail = (error: Error) => {
      tunnel.destroy();
      reject(
        error instanceof BotboxError
          ? error
          : new PortUnreachableError(`the server on port ${port} in the bot gave no answer: ${error.message}`, {
              cause: error,
            }),
      );
    };
    // An app that never answers must not keep a slot of the bot's bound for a client long gone.
    const clientGone = () => tunnel.destroy();
    request.connection?.once("close", clientGone);
    tunnel.once("close", () => request.connection?.off("close", clientGone));
    outgoing.once("error", fail);
    outgoing.once("response", (response) => {
      outgoing.off("error", fail);
      // Later failures (the client or the app going away) end both sides; the route sees its stream end.
      outgoing.on("error", () => tunnel.destroy());
      resolve(response);
    });
    // A body the app does not wait for (it answered early) is dropped with the tunnel.
    pipeline(request.body, outgoing).catch(() => tunnel.destroy());
  });
}

/** A client's connection after an `Upgrade` request, as Node's server hands it over. */
export interface UpgradeRequest {
  method: string;
  path: string;
  prefix: string;
  headers: IncomingHttpHeaders;
  /** The client's socket, its request head already read. */
  socket: Duplex;
  /** Bytes the client sent after the head. */
  head: Buffer;
  client: ClientSide;
}

/**
 * Writes the upgrade request to the app and then joins the two connections
 * byte for byte: the app's answer (101 or a refusal) and the frames after it
 * are the app's own, so any protocol over Upgrade (WebSocket, HMR) works.
 */
export function forwardUpgrade(tunnel: Duplex, port: number, request: UpgradeRequest): void {
  const headers = upstreamRequestHeaders(request.headers, port, request.prefix, request.client, true);
  const lines = [`${request.method} ${request.path} HTTP/1.1`];
  for (const [name, value] of Object.entries(headers)) {
    for (const one of [value ?? []].flat()) lines.push(`${name}: ${String(one)}`);
  }
  tunnel.write(`${lines.join("\r\n")}\r\n\r\n`);
  if (request.head.length > 0) tunnel.write(request.head);
  const close = () => {
    tunnel.destroy();
    request.socket.destroy();
  };
  pipeline(request.socket, tunnel).catch(close);
  pipeline(tunnel, request.socket).catch(close);
}
