// A client for a bot port's own origin, `<port>-<label>.localhost:<api port>`:
// Node's http with a `lookup` that sends every name to this machine, as a
// browser does for `*.localhost` (RFC 6761), without the system resolver.
import { type IncomingHttpHeaders, request as httpRequest } from "node:http";
import type { LookupFunction } from "node:net";

import WebSocket from "ws";

/** Every host name is this machine's loopback. */
export const loopbackLookup: LookupFunction = (_hostname, options, callback) => {
  if ((options as { all?: boolean }).all) callback(null, [{ address: "127.0.0.1", family: 4 }]);
  else callback(null, "127.0.0.1", 4);
};

export interface OriginResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** One request to `url` (any host name reaches loopback); redirects are not followed. */
export function requestAt(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<OriginResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, {
      method: options.method ?? "GET",
      headers: options.headers,
      lookup: loopbackLookup,
    });
    outgoing.once("error", reject);
    outgoing.once("response", (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.once("error", reject);
      response.once("end", () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          text: Buffer.concat(chunks).toString(),
        }),
      );
    });
    outgoing.end(options.body);
  });
}

/** A WebSocket's echo of one message, or the status it was refused with. */
export async function echoOverWebSocket(
  url: string,
  headers: Record<string, string>,
): Promise<{ message: string; path: string } | { refused: number }> {
  const socket = new WebSocket(url, { headers, lookup: loopbackLookup } as WebSocket.ClientOptions);
  const outcome = await new Promise<{ path: string } | { refused: number }>((resolve, reject) => {
    socket.once("upgrade", (response) => resolve({ path: String(response.headers["x-app-path"]) }));
    socket.once("unexpected-response", (_request, response) => resolve({ refused: response.statusCode ?? 0 }));
    socket.once("error", reject);
  });
  if ("refused" in outcome) {
    socket.terminate();
    return outcome;
  }
  if (socket.readyState !== WebSocket.OPEN) await new Promise((resolve) => socket.once("open", resolve));
  socket.send("ping through the origin");
  const message = await new Promise<string>((resolve) => socket.once("message", (data) => resolve(String(data))));
  socket.close();
  return { message, path: outcome.path };
}
