import { liveEvents } from "./streams.js";
import { botPath, type CallOptions, type Transport } from "./transport.js";
import type { WatchEvent } from "./types.js";

export interface WatchOptions extends CallOptions {
  /** Watch the folder's whole tree, not just its entries. */
  recursive?: boolean;
}

/** A watch event other than the stream's own keep-alive and error. */
export type FileChangeEvent = Exclude<WatchEvent, { type: "keepalive" } | { type: "error" }>;

/**
 * File changes under a folder as they happen (docs/watch.md): `ready` first,
 * then created/modified/deleted/renamed, dropped and notice events. Ends when
 * the folder goes (or `signal` aborts); a failure the server reports on the
 * stream throws BotboxApiError with its code.
 */
export async function* watchFiles(
  transport: Transport,
  botId: string,
  path: string,
  { recursive, ...call }: WatchOptions = {},
): AsyncGenerator<FileChangeEvent> {
  const response = await transport.request("GET", botPath(botId, "/container/fs/watch"), {
    query: { path, recursive: recursive ?? false },
    ...call,
  });
  yield* liveEvents<WatchEvent>(response.body!);
}
