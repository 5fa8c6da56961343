import type { ClientReadableStream } from "@grpc/grpc-js";

import { mapGrpcError } from "./error-mapping.js";

/**
 * The messages of a server-streaming call, pulled one at a time; a failure
 * is a botbox error (error-mapping.ts). The call ends, on the agent too,
 * when the caller stops reading (break, return) or `signal` aborts, even
 * while no message is coming.
 */
export async function* serverStreamMessages<Message>(
  call: ClientReadableStream<Message>,
  signal?: AbortSignal,
): AsyncGenerator<Message, void, undefined> {
  // Errors surface through iteration; without a listener an error would crash the process.
  call.on("error", () => undefined);
  const cancel = () => call.cancel();
  signal?.addEventListener("abort", cancel, { once: true });
  if (signal?.aborted) cancel();
  try {
    yield* call as AsyncIterable<Message>;
  } catch (error) {
    throw mapGrpcError(error);
  } finally {
    signal?.removeEventListener("abort", cancel);
    call.cancel();
  }
}
