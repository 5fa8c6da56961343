import path from "node:path";

import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";

import { NotFoundError } from "../errors.js";
import type { EntryView, WorkspaceFiles } from "../workspace/index.js";
import { connectCall, e2bPath, sandboxOfCall } from "./envd-context.js";
import { type EntryInfoSchema, type Filesystem, FileType } from "./gen/filesystem/filesystem_pb.js";
import type { SandboxRegistry } from "./sandboxes.js";

/** The most entries one ListDir answers: E2B's answer is one message, so it is bounded. */
const MAX_LIST_ENTRIES = 10_000;
const LIST_PAGE = 1000;

/** A botbox entry as envd's EntryInfo. Owner and group are not known to the file manager: empty. */
function entryInfo(entry: EntryView): MessageInitShape<typeof EntryInfoSchema> {
  const symlink = entry.mode.startsWith("L");
  const type = symlink ? FileType.SYMLINK : entry.isDir ? FileType.DIRECTORY : FileType.FILE;
  const bits = entry.mode.slice(-9);
  const permissions = [...bits].reduce((mode, letter) => mode * 2 + (letter === "-" ? 0 : 1), 0);
  return {
    name: entry.name,
    type,
    path: entry.path,
    size: BigInt(entry.size),
    mode: permissions,
    permissions: entry.mode,
    owner: "",
    group: "",
    modifiedTime: timestampFromDate(new Date(entry.modTime)),
  };
}

/**
 * envd's `filesystem.Filesystem` service on botbox's file manager
 * (workspace/): the same checks, protected folders and atomic moves as
 * botbox's own file API. Watching is envd-watch.ts.
 */
export function filesystemService(
  registry: SandboxRegistry,
  files: WorkspaceFiles,
): Partial<ServiceImpl<typeof Filesystem>> {
  return {
    async stat(request, context) {
      const botId = await sandboxOfCall(registry, context.requestHeader);
      return { entry: entryInfo(await connectCall(() => files.describe(botId, e2bPath(request.path)))) };
    },

    async listDir(request, context) {
      const botId = await sandboxOfCall(registry, context.requestHeader);
      const depth = Math.max(request.depth, 1);
      return connectCall(async () => {
        const root = e2bPath(request.path);
        const folder = await files.describe(botId, root);
        if (!folder.isDir) throw new ConnectError(`${root} is not a directory`, Code.InvalidArgument);
        const entries = [];
        let cursor: string | undefined;
        do {
          const page = await files.list(botId, { path: root, limit: LIST_PAGE, recursive: depth > 1, cursor });
          for (const entry of page.entries) {
            const levels = path.posix.relative(root, entry.path).split("/").length;
            if (levels <= depth) entries.push(entryInfo(entry));
          }
          if (entries.length > MAX_LIST_ENTRIES)
            throw new ConnectError(
              `more than ${MAX_LIST_ENTRIES} entries: list a smaller depth`,
              Code.ResourceExhausted,
            );
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined);
        return { entries };
      });
    },

    async makeDir(request, context) {
      const botId = await sandboxOfCall(registry, context.requestHeader);
      return connectCall(async () => {
        const target = e2bPath(request.path);
        const existing = await files.describe(botId, target).catch((error: unknown) => {
          if (error instanceof NotFoundError) return undefined;
          throw error;
        });
        // As envd: an existing folder is AlreadyExists, which the SDK's makeDir answers as false.
        if (existing) throw new ConnectError(`${target} already exists`, Code.AlreadyExists);
        await files.mkdir(botId, target);
        return { entry: entryInfo(await files.describe(botId, target)) };
      });
    },

    async move(request, context) {
      const botId = await sandboxOfCall(registry, context.requestHeader);
      return connectCall(async () => {
        const source = e2bPath(request.source);
        const destination = e2bPath(request.destination);
        await files.rename(botId, source, destination);
        return { entry: entryInfo(await files.describe(botId, destination)) };
      });
    },

    async remove(request, context) {
      const botId = await sandboxOfCall(registry, context.requestHeader);
      await connectCall(() => files.delete(botId, e2bPath(request.path), true));
      return {};
    },
  };
}
