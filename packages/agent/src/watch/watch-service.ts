import type { FileWatchServiceServer, WatchEvent, WatchRequest } from "@botbox/proto";
import { type ServerWritableStream, status } from "@grpc/grpc-js";

import { type CallPolicy, serverStream } from "../rpc-call.js";
import { invalidArgument, RpcError } from "../rpc-error.js";
import { BoundedEventQueue } from "./event-queue.js";
import { openWatchRoot } from "./watch-root.js";
import { WatchSession } from "./watch-session.js";
import { DEFAULT_QUEUED_EVENTS, MAX_QUEUED_EVENTS, MIN_QUEUED_EVENTS, type WatchSettings } from "./watch-settings.js";

export interface FileWatchServiceOptions {
  policy: CallPolicy;
  dataDir: string;
  settings: WatchSettings;
  /** Aborted when the agent stops: open watches end at once. */
  stopping?: AbortSignal;
}

/** botbox.files.v1.FileWatchService (proto/watch.proto, docs/watch.md). */
export function createFileWatchService(options: FileWatchServiceOptions): FileWatchServiceServer {
  let open = 0;
  return {
    watch: serverStream(options.policy, "Watch", async (call, log) => {
      log.path = call.request.path;
      const capacity = checkedCapacity(call.request);
      if (open >= options.settings.maxWatches)
        throw new RpcError(
          status.RESOURCE_EXHAUSTED,
          `${open} watches are open, the most this agent allows (BOTBOX_WATCH_MAX_STREAMS)`,
        );
      open += 1;
      try {
        await runWatch(call, options, capacity);
      } finally {
        open -= 1;
      }
    }),
  };
}

function checkedCapacity(request: WatchRequest): number {
  const asked = request.maxQueuedEvents;
  if (asked === 0) return DEFAULT_QUEUED_EVENTS;
  if (asked < MIN_QUEUED_EVENTS || asked > MAX_QUEUED_EVENTS)
    throw invalidArgument(
      `max_queued_events must be 0 (the default, ${DEFAULT_QUEUED_EVENTS}) or from ${MIN_QUEUED_EVENTS} to ${MAX_QUEUED_EVENTS}, not ${asked}`,
    );
  return asked;
}

/**
 * Sends events as the client takes them: a write the stream cannot take
 * (the client's flow-control window is full) waits for `drain`, and
 * meanwhile events wait in the bounded queue, which drops and counts past
 * its capacity.
 */
async function runWatch(
  call: ServerWritableStream<WatchRequest, WatchEvent>,
  options: FileWatchServiceOptions,
  capacity: number,
): Promise<void> {
  const root = await openWatchRoot(options.dataDir, options.settings.roots, call.request.path);
  const queue = new BoundedEventQueue(capacity);
  // Two waits: for an event (the queue was empty), and for the stream to
  // drain (the client's window was full). A new event ends only the first,
  // so a full stream is never written to: its buffer stays bounded too.
  let eventArrived: (() => void) | undefined;
  let streamDrained: (() => void) | undefined;
  let ended: "cancelled" | "root-gone" | "stopping" | undefined;
  let failure: unknown;
  const stir = () => {
    eventArrived?.();
    eventArrived = undefined;
  };
  const end = (why: typeof ended) => {
    ended ??= why;
    stir();
    streamDrained?.();
    streamDrained = undefined;
  };
  const session = new WatchSession({
    root,
    recursive: call.request.recursive,
    maxFolders: options.settings.maxFolders,
    emit: (event) => {
      queue.push(event);
      stir();
    },
    onRootGone: () => end("root-gone"),
    onError: (error) => {
      failure = error;
      end("root-gone");
    },
  });
  const onCancel = () => end("cancelled");
  const onStop = () => end("stopping");
  call.on("cancelled", onCancel);
  options.stopping?.addEventListener("abort", onStop);
  try {
    try {
      await session.start();
    } finally {
      await root.handle.close();
    }
    call.write({ event: { $case: "ready", value: { root: root.path, folders: session.folders } } });
    for (;;) {
      if (ended === "cancelled" || ended === "stopping") break;
      const event = queue.shift();
      if (event === undefined) {
        if (ended === "root-gone") break;
        await new Promise<void>((resolve) => (eventArrived = resolve));
        continue;
      }
      if (!call.write(event)) await drained(call, (resolve) => (streamDrained = resolve));
    }
  } finally {
    session.close();
    call.off("cancelled", onCancel);
    options.stopping?.removeEventListener("abort", onStop);
  }
  if (failure !== undefined) throw failure;
  if (ended === "stopping")
    throw new RpcError(status.UNAVAILABLE, "the agent is stopping; watch again once it is back");
}

/** Resolves on the stream's `drain`, or when the watch ends (cancel, stop) meanwhile. */
function drained(
  call: ServerWritableStream<WatchRequest, WatchEvent>,
  onEnd: (resolve: () => void) => void,
): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off("drain", done);
      resolve();
    };
    call.on("drain", done);
    onEnd(done);
  });
}
