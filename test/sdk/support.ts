import { Botbox } from "../../packages/sdk/src/index.js";
import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { removeServer } from "../support/bots.js";

/** A real `botbox serve` on the backend BOTBOX_TEST_RUNTIME names, and an SDK client of it with the admin token. */
export async function startSdkServer(): Promise<{ server: BotboxServer; box: Botbox }> {
  const server = await startBotboxServer();
  return { server, box: new Botbox({ url: server.url, token: server.adminToken }) };
}

/** Deletes every bot the server has, then stops it and removes its home. */
export async function stopSdkServer(server: BotboxServer | undefined): Promise<void> {
  if (!server) return;
  const { body } = await server.api("GET", "/bots");
  await removeServer(
    server,
    ((body?.bots ?? []) as { id: string }[]).map((bot) => bot.id),
  );
}

/** The first value `take` accepts from an async iterator, or a failure naming `what` after `timeoutMs`. */
export async function firstMatching<T>(
  events: AsyncIterator<T>,
  take: (event: T) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    for (;;) {
      const next = await Promise.race([events.next(), deadline]);
      if (next.done) throw new Error(`the stream ended before ${what}`);
      if (take(next.value)) return next.value;
    }
  } finally {
    clearTimeout(timer);
  }
}

/** A web stream of these chunks, read one at a time (so an upload is sent as a stream). */
export function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let index = 0;
  return new ReadableStream({
    pull(controller) {
      if (index < chunks.length) controller.enqueue(encoder.encode(chunks[index++]));
      else controller.close();
    },
  });
}

/** All of a web stream's bytes. */
export async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of stream as unknown as AsyncIterable<Uint8Array>) parts.push(part);
  return Buffer.concat(parts);
}
