import {
  ChangeType,
  EntryKind,
  type FileChange,
  FileWatchServiceClient,
  type WatchEvent,
  WatchRequest,
} from "@botbox/proto";
import { type ChannelOptions, type ClientReadableStream } from "@grpc/grpc-js";

import { agentStub, bearerMetadata } from "./agent-channel.js";
import type { AgentClient } from "./agent-client.js";
import { explainAgentTooOld } from "./agent-too-old.js";
import { stubOnChannel } from "./channel-stub.js";
import type { AgentEndpoint } from "./endpoint.js";
import { serverStreamMessages } from "./server-stream.js";

export type WatchEntryKind = "file" | "directory" | "symlink" | "other" | "unknown";

/** One event of a watch, as the HTTP route and the CLI show it (docs/watch.md). */
export type WatchEventView =
  | { type: "ready"; root: string; folders: number }
  | {
      type: "created" | "modified" | "deleted" | "renamed";
      /** Relative to the watched folder; "" for the folder itself. */
      path: string;
      /** Renamed only: where it was. */
      from?: string;
      kind: WatchEntryKind;
      time: string;
    }
  /** This many events were dropped because the reader was too slow. */
  | { type: "dropped"; count: number }
  | { type: "notice"; path: string; message: string };

const CHANGE_NAMES = {
  [ChangeType.CHANGE_TYPE_CREATED]: "created",
  [ChangeType.CHANGE_TYPE_MODIFIED]: "modified",
  [ChangeType.CHANGE_TYPE_DELETED]: "deleted",
  [ChangeType.CHANGE_TYPE_RENAMED]: "renamed",
} as const;
const KIND_NAMES = {
  [EntryKind.ENTRY_KIND_FILE]: "file",
  [EntryKind.ENTRY_KIND_DIRECTORY]: "directory",
  [EntryKind.ENTRY_KIND_SYMLINK]: "symlink",
  [EntryKind.ENTRY_KIND_OTHER]: "other",
} as const;

export interface WatchOptions {
  recursive?: boolean;
  /** Events the agent holds for a slow reader before it drops (0: its default). */
  maxQueuedEvents?: number;
  signal?: AbortSignal;
}

/** The agent's file watch (botbox.files.v1.FileWatchService). */
export class WatchClient {
  private readonly stub: FileWatchServiceClient;

  constructor(
    readonly endpoint: AgentEndpoint,
    channelOptions: ChannelOptions = {},
  ) {
    this.stub = agentStub(FileWatchServiceClient, endpoint, channelOptions);
  }

  /**
   * Events under `path` until the caller stops reading (break, `signal`) or
   * the folder goes. The first is `ready`; a bad path fails before it.
   * Pulled one at a time: a consumer that stops pulling stops the stream,
   * and the agent drops (and counts) instead of holding more.
   */
  async *watch(path: string, options: WatchOptions = {}): AsyncGenerator<WatchEventView, void, undefined> {
    const call: ClientReadableStream<WatchEvent> = this.stub.watch(
      WatchRequest.fromPartial({
        path,
        recursive: options.recursive ?? false,
        maxQueuedEvents: options.maxQueuedEvents ?? 0,
      }),
      bearerMetadata(this.endpoint),
    );
    try {
      for await (const message of serverStreamMessages(call, options.signal)) {
        const event = message.event;
        if (event?.$case === "ready") yield { type: "ready", root: event.value.root, folders: event.value.folders };
        else if (event?.$case === "change") {
          const view = changeView(event.value);
          if (view) yield view;
        } else if (event?.$case === "dropped") yield { type: "dropped", count: event.value.count };
        else if (event?.$case === "notice")
          yield { type: "notice", path: event.value.path, message: event.value.message };
      }
    } catch (error) {
      // An agent built before the file watch answers UNIMPLEMENTED for the whole service.
      throw explainAgentTooOld(error, "file watch");
    }
  }

  close(): void {
    this.stub.close();
  }
}

function changeView(change: FileChange): WatchEventView | undefined {
  const type = CHANGE_NAMES[change.type as keyof typeof CHANGE_NAMES];
  if (type === undefined) return undefined;
  return {
    type,
    path: change.path,
    ...(change.fromPath ? { from: change.fromPath } : {}),
    kind: KIND_NAMES[change.kind as keyof typeof KIND_NAMES] ?? "unknown",
    time: change.time,
  };
}

/** The watch stub of a pooled agent client, on its channel. */
export function watchClientFor(agent: AgentClient): WatchClient {
  return stubOnChannel(agent, WatchClient);
}
