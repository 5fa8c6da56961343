// What both forms of a bot's port (the path under botbox's origin and the
// port's own origin) do with the raw connection: relay the app's answer,
// refuse an upgrade, tell the app who asked.
import { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { pipeline } from "node:stream/promises";

import type { ClientSide } from "../../ports/index.js";
import { errorResponse } from "../error-status.js";

/** Sends the app's answer as it comes; a client that goes away ends the tunnel. */
export function relayResponse(response: IncomingMessage, to: ServerResponse, headers: OutgoingHttpHeaders): void {
  to.writeHead(response.statusCode ?? 502, response.statusMessage, headers);
  pipeline(response, to).catch(() => {
    response.destroy();
    to.destroy();
  });
}

export function clientSide(request: IncomingMessage, protocol: string): ClientSide {
  return { address: request.socket.remoteAddress, protocol, host: request.headers.host };
}

/** `http` or `https`, as the client reached botbox. */
export const protocolOf = (socket: Duplex) => ((socket as { encrypted?: boolean }).encrypted ? "https" : "http");

/** An error answered on a raw upgraded socket, in the API's JSON shape. */
export function refuseUpgrade(socket: Duplex, error: unknown): void {
  if (socket.destroyed) return;
  const { status, body } = errorResponse(error);
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
  );
}
