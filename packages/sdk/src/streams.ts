// The API's two stream formats, read from a fetch body as events come:
// NDJSON (one JSON object a line) and Server-Sent Events.
import { type ApiErrorCode, BotboxApiError } from "./errors.js";

/** Each line of an NDJSON body as parsed JSON; a last line without its newline counts too. */
export async function* ndjsonLines<T>(body: ReadableStream<Uint8Array>): AsyncGenerator<T> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    pending += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = pending.indexOf("\n")) !== -1) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line) yield JSON.parse(line) as T;
    }
  }
  const rest = (pending + decoder.decode()).trim();
  if (rest) yield JSON.parse(rest) as T;
}

type StreamEnd = { type: "keepalive" } | { type: "error"; code: ApiErrorCode; message: string };

/**
 * The events of a long-lived NDJSON stream (file watch, log follow): its
 * keep-alives skipped, and the `error` event the server ends a failed
 * stream with thrown as BotboxApiError with its code.
 */
export async function* liveEvents<Event extends { type: string }>(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<Exclude<Event, StreamEnd>> {
  for await (const event of ndjsonLines<Event | StreamEnd>(body)) {
    if (event.type === "keepalive") continue;
    if (event.type === "error") {
      const { code, message } = event as Extract<StreamEnd, { type: "error" }>;
      throw new BotboxApiError(0, code, message);
    }
    yield event as Exclude<Event, StreamEnd>;
  }
}

/** One Server-Sent Event: its `event` name (default "message"), `id` when it had one, and its data. */
export interface SseMessage {
  event: string;
  id?: string;
  data: string;
}

/** The events of an SSE body; comments (keep-alives) are skipped. */
export async function* sseMessages(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let pending = "";
  let message: { event?: string; id?: string; data: string[] } = { data: [] };
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    pending += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = pending.indexOf("\n")) !== -1) {
      const line = pending.slice(0, newline).replace(/\r$/, "");
      pending = pending.slice(newline + 1);
      if (line === "") {
        if (message.data.length > 0)
          yield {
            event: message.event ?? "message",
            data: message.data.join("\n"),
            ...(message.id ? { id: message.id } : {}),
          };
        message = { data: [] };
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "data") message.data.push(value);
      else if (field === "event") message.event = value;
      else if (field === "id") message.id = value;
    }
  }
}
