import { randomUUID } from "node:crypto";

import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";

import type { AgentClient } from "../client/index.js";
import { watchClientFor, type WatchEventView } from "../client/watch-client.js";
import { reachWorkspace } from "../errors.js";
import { connectCall, e2bPath, keepaliveMs, sandboxOfCall, toConnectError, withKeepalive } from "./envd-context.js";
import { EventType, type Filesystem, type FilesystemEventSchema } from "./gen/filesystem/filesystem_pb.js";
import type { SandboxRegistry } from "./sandboxes.js";

type FilesystemEventInit = MessageInitShape<typeof FilesystemEventSchema>;

/** Events a polling watcher keeps between two GetWatcherEvents; older ones are dropped past it. */
const MAX_PENDING_EVENTS = 1000;
/** Polling watchers one sandbox may hold at once. */
const MAX_WATCHERS_PER_SANDBOX = 16;

const EVENT_TYPES = {
  created: EventType.CREATE,
  modified: EventType.WRITE,
  deleted: EventType.REMOVE,
  renamed: EventType.RENAME,
} as const;

/**
 * botbox's watch event as envd's: a rename is envd's two events, the old
 * name's RENAME then the new name's CREATE. Readiness, drop counts and
 * notices have no envd equivalent and are left out.
 */
function envdEvents(event: WatchEventView): FilesystemEventInit[] {
  if (!(event.type in EVENT_TYPES)) return [];
  const change = event as Extract<WatchEventView, { path: string; kind: string }>;
  if (change.type === "renamed" && change.from !== undefined)
    return [
      { name: change.from, type: EventType.RENAME },
      { name: change.path, type: EventType.CREATE },
    ];
  return [{ name: change.path, type: EVENT_TYPES[change.type] }];
}

interface PollingWatcher {
  sandboxId: string;
  pending: FilesystemEventInit[];
  abort: AbortController;
  failure?: ConnectError;
}

/**
 * envd's file watching on the agent's FileWatchService (docs/watch.md):
 * WatchDir as a stream, and the polling watchers (CreateWatcher,
 * GetWatcherEvents, RemoveWatcher), each a watch held here until removed or
 * its sandbox's agent ends it.
 */
export function watchService(
  registry: SandboxRegistry,
  agentFor: (botId: string) => Promise<AgentClient>,
): Partial<ServiceImpl<typeof Filesystem>> {
  const watchers = new Map<string, PollingWatcher>();
  const open = async (botId: string, root: string, recursive: boolean, signal: AbortSignal) => {
    const agent = await reachWorkspace(botId, agentFor);
    const events = watchClientFor(agent).watch(root, { recursive, signal });
    // The agent answers "ready" once the watch is in place, or fails for a bad path: before the caller is told.
    const first = await events.next();
    return { events, first };
  };

  return {
    async *watchDir(request, context) {
      const botId = await sandboxOfCall(registry, context.requestHeader);
      const { events } = await connectCall(() => open(botId, e2bPath(request.path), request.recursive, context.signal));
      yield { event: { case: "start", value: {} } };
      try {
        const keepalive = { type: "keepalive" } as const;
        for await (const event of withKeepalive(events, keepaliveMs(context.requestHeader), keepalive)) {
          if (event.type === "keepalive") yield { event: { case: "keepalive", value: {} } };
          else for (const change of envdEvents(event)) yield { event: { case: "filesystem", value: change } };
        }
      } catch (error) {
        if (!context.signal.aborted) throw toConnectError(error);
      }
    },

    async createWatcher(request, context) {
      const sandboxId = await sandboxOfCall(registry, context.requestHeader);
      if (
        [...watchers.values()].filter((watcher) => watcher.sandboxId === sandboxId).length >= MAX_WATCHERS_PER_SANDBOX
      )
        throw new ConnectError(`at most ${MAX_WATCHERS_PER_SANDBOX} watchers a sandbox`, Code.ResourceExhausted);
      const watcher: PollingWatcher = { sandboxId, pending: [], abort: new AbortController() };
      const { events } = await connectCall(() =>
        open(sandboxId, e2bPath(request.path), request.recursive, watcher.abort.signal),
      );
      const watcherId = randomUUID();
      watchers.set(watcherId, watcher);
      void (async () => {
        try {
          for await (const event of events) {
            watcher.pending.push(...envdEvents(event));
            if (watcher.pending.length > MAX_PENDING_EVENTS)
              watcher.pending.splice(0, watcher.pending.length - MAX_PENDING_EVENTS);
          }
        } catch (error) {
          if (!watcher.abort.signal.aborted) watcher.failure = toConnectError(error);
        }
      })();
      return { watcherId };
    },

    async getWatcherEvents(request, context) {
      const sandboxId = await sandboxOfCall(registry, context.requestHeader);
      const watcher = watchers.get(request.watcherId);
      if (!watcher || watcher.sandboxId !== sandboxId)
        throw new ConnectError(`watcher ${request.watcherId} not found`, Code.NotFound);
      if (watcher.failure) {
        watchers.delete(request.watcherId);
        throw watcher.failure;
      }
      return { events: watcher.pending.splice(0) };
    },

    async removeWatcher(request, context) {
      const sandboxId = await sandboxOfCall(registry, context.requestHeader);
      const watcher = watchers.get(request.watcherId);
      if (!watcher || watcher.sandboxId !== sandboxId)
        throw new ConnectError(`watcher ${request.watcherId} not found`, Code.NotFound);
      watcher.abort.abort();
      watchers.delete(request.watcherId);
      return {};
    },
  };
}
