import type { ServerDuplexStream } from "@grpc/grpc-js";

/**
 * The first message of a bidirectional call, or undefined when the caller
 * ends, fails or cancels before sending one. The call is paused after it, so
 * later messages (stdin, tunnel bytes) wait until there is something to take
 * them; the handler resumes it.
 */
export function firstMessage<Request>(call: ServerDuplexStream<Request, unknown>): Promise<Request | undefined> {
  return new Promise((resolve) => {
    const onData = (message: Request) => {
      cleanup();
      call.pause();
      resolve(message);
    };
    const onEnd = () => {
      cleanup();
      resolve(undefined);
    };
    const cleanup = () => {
      call.off("data", onData);
      call.off("end", onEnd);
      call.off("error", onEnd);
      call.off("cancelled", onEnd);
    };
    call.on("data", onData);
    call.on("end", onEnd);
    call.on("error", onEnd);
    call.on("cancelled", onEnd);
  });
}
