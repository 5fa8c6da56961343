import type { Readable } from "node:stream";

import type { AgentClient, FileEntry } from "../client/index.js";
import { BadRequestError, NotFoundError, reachWorkspace } from "../errors.js";
import { refuseProtected } from "./container-path.js";
import { type EntryView, entryView } from "./entry-view.js";
import { hintFileError, NotRegularFileError } from "./file-errors.js";
import { compileGlob } from "./glob.js";
import { collectPage, decodeCursor, type Page, type PageScope } from "./page.js";
import { readWholeText } from "./read-whole-text.js";
import { walkTree } from "./tree-walk.js";
import { checkUploadTarget, type UploadResult, type UploadSource, uploadStream } from "./upload.js";

export interface WorkspaceFilesOptions {
  /** The bot's agent; a bot that is not running is a 503 (reachWorkspace). */
  agentFor(botId: string): Promise<AgentClient>;
  /** Whether the bot's task runs, asked when an upload's channel breaks. */
  workspaceRunning(botId: string): Promise<boolean>;
  /** files.max_upload_bytes */
  maxUploadBytes: number;
  /** files.max_read_bytes: the largest file readText returns. */
  maxReadBytes: number;
}

export interface PageRequest {
  /** A cleaned container path (container-path.ts). */
  path: string;
  limit: number;
  cursor?: string;
}

export interface TextFile {
  path: string;
  content: string;
  /** Bytes, as the original's len(content). */
  size: number;
}

/** A regular file, stat'ed and ready to stream; the HTTP layer adds ranges and headers. */
export interface DownloadableFile {
  path: string;
  entry: FileEntry;
  open(): Promise<Readable>;
}

/** A checked upload target: `write` streams the bytes in, atomically, within files.max_upload_bytes. */
export interface PreparedUpload {
  write(source: UploadSource): Promise<UploadResult>;
}

// A sparse search stops after this many entries and hands back a cursor.
const SEARCH_SCAN_BUDGET = 100_000;

/**
 * The file manager's work on a bot's whole container file system, paths
 * absolute from its root (docs/reference.md#file-manager): describe, list
 * and search a page at a time, read text, stream, upload, write, move and
 * delete, refusing the folders the workspace needs. No HTTP here: the routes
 * in http/routes/files.ts validate requests and shape responses.
 */
export class WorkspaceFiles {
  constructor(private readonly options: WorkspaceFilesOptions) {}

  get maxUploadBytes(): number {
    return this.options.maxUploadBytes;
  }

  async describe(botId: string, target: string): Promise<EntryView> {
    return entryView(target, await statExisting(await this.agent(botId), target));
  }

  /** A folder's entries, or with `recursive` its whole tree depth first, a page at a time. */
  async list(botId: string, request: PageRequest & { recursive: boolean }): Promise<{ path: string } & Page> {
    const scope: PageScope = { kind: request.recursive ? "tree" : "list", root: request.path };
    const after = request.cursor === undefined ? undefined : decodeCursor(scope, request.cursor);
    const walk = walkTree(await this.agent(botId), request.path, { recursive: request.recursive, after });
    return { path: request.path, ...(await collectPage(walk, scope, { limit: request.limit })) };
  }

  /** Entries under a folder whose name matches a glob, a page at a time (a sparse page ends early, with a cursor). */
  async search(
    botId: string,
    request: PageRequest & { pattern: string },
  ): Promise<{ path: string; pattern: string } & Page> {
    const matcher = compileGlob(request.pattern);
    const scope: PageScope = { kind: `search:${request.pattern}`, root: request.path };
    const after = request.cursor === undefined ? undefined : decodeCursor(scope, request.cursor);
    const walk = walkTree(await this.agent(botId), request.path, { recursive: true, after });
    const page = await collectPage(walk, scope, {
      limit: request.limit,
      accept: (entry) => matcher.test(entry.name),
      scanBudget: SEARCH_SCAN_BUDGET,
    });
    return { path: request.path, pattern: request.pattern, ...page };
  }

  /**
   * A text file's whole content, within files.max_read_bytes. The original
   * used the LLM-oriented ReadFile, so content came line-numbered and cut at
   * 5 KiB; this is the whole file, UTF-8 without NUL bytes, or an error
   * pointing at the download.
   */
  async readText(botId: string, target: string): Promise<TextFile> {
    const agent = await this.agent(botId);
    const entry = await statExisting(agent, target);
    try {
      const file = await readWholeText(agent, target, {
        maxBytes: this.options.maxReadBytes,
        known: entry,
        binaryProbeBytes: Infinity,
      });
      return { path: target, content: file.text, size: file.size };
    } catch (error) {
      if (error instanceof NotRegularFileError)
        throw entry.isDir ? hintFileError(error, "list it with /fs/list") : error;
      throw hintFileError(error, "use /fs/download for its bytes (/fs/read returns text up to files.max_read_bytes)");
    }
  }

  /** A regular file to stream, never held whole: folders, devices and pipes are refused. */
  async openDownload(botId: string, target: string): Promise<DownloadableFile> {
    const agent = await this.agent(botId);
    const entry = await statExisting(agent, target);
    if (entry.kind !== "file") throw new NotRegularFileError(target, entry);
    return { path: target, entry, open: () => agent.readRaw(target) };
  }

  /** Writes a text file atomically. WriteRaw, not the unary WriteFile: that one fails past gRPC's 4 MiB message limit. */
  async writeText(botId: string, target: string, content: string): Promise<void> {
    const agent = await this.agent(botId);
    await checkUploadTarget(agent, target);
    await agent.writeRaw(target, Buffer.from(content));
  }

  /** Checks an upload's target (not protected, not a folder) before any byte moves. */
  async prepareUpload(botId: string, target: string): Promise<PreparedUpload> {
    const agent = await this.agent(botId);
    await checkUploadTarget(agent, target);
    return {
      write: (source) =>
        uploadStream(agent, target, source, this.options.maxUploadBytes, () => this.options.workspaceRunning(botId)),
    };
  }

  async mkdir(botId: string, target: string): Promise<void> {
    await (await this.agent(botId)).mkdir(target);
  }

  /** Deletes a file or folder (`recursive` for a non-empty one); 403 for folders the workspace needs. */
  async delete(botId: string, target: string, recursive: boolean): Promise<void> {
    refuseProtected(target, "delete");
    await (await this.agent(botId)).deleteFile(target, { recursive });
  }

  async rename(botId: string, oldPath: string, newPath: string): Promise<void> {
    refuseProtected(oldPath, "rename");
    refuseProtected(newPath, "replace");
    if (newPath.startsWith(`${oldPath}/`)) throw new BadRequestError(`cannot move ${oldPath} into itself`);
    await (await this.agent(botId)).rename(oldPath, newPath);
  }

  private agent(botId: string): Promise<AgentClient> {
    return reachWorkspace(botId, (id) => this.options.agentFor(id));
  }
}

/** Stat, whose NOT_FOUND names the path. */
async function statExisting(agent: AgentClient, target: string): Promise<FileEntry> {
  try {
    return await agent.stat(target);
  } catch (error) {
    if (error instanceof NotFoundError)
      throw new NotFoundError(`no such file or directory: ${target}`, { cause: error });
    throw error;
  }
}
