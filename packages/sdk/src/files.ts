import { botPath, type CallOptions, type Transport } from "./transport.js";
import type { FileEntry, UploadedFile } from "./types.js";

export interface Download {
  body: ReadableStream<Uint8Array>;
  size: number | undefined;
}

/** Bytes to upload: a web stream (sent as it is read), bytes, or text (UTF-8). */
export type UploadBody = ReadableStream<Uint8Array> | Uint8Array | string;

/**
 * `bot.files`: the bot's workspace files (paths under /data, or relative to
 * it). Text goes as JSON; upload and download stream the bytes.
 */
export class BotFiles {
  constructor(
    private readonly transport: Transport,
    private readonly botId: string,
  ) {}

  private get path() {
    return { bot_id: this.botId };
  }

  /** A text file's content (the server refuses one too large for JSON: use download). */
  async read(path: string, call: CallOptions = {}): Promise<string> {
    const file = await this.transport.call(
      this.transport.api.GET("/bots/{bot_id}/container/fs/read", {
        params: { path: this.path, query: { path } },
        ...call,
      }),
    );
    return file.content;
  }

  /** Writes text to a file, creating or replacing it. */
  async write(path: string, content: string, call: CallOptions = {}): Promise<void> {
    await this.transport.call(
      this.transport.api.POST("/bots/{bot_id}/container/fs/write", {
        params: { path: this.path },
        body: { path, content },
        ...call,
      }),
    );
  }

  /** The entries of a folder (of its tree with `recursive`), every page followed. */
  async list(path = "/data", options: { recursive?: boolean } & CallOptions = {}): Promise<FileEntry[]> {
    const { recursive, ...call } = options;
    const entries: FileEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.transport.call(
        this.transport.api.GET("/bots/{bot_id}/container/fs/list", {
          params: {
            path: this.path,
            query: { path, ...(recursive ? { recursive: "true" } : {}), ...(cursor ? { cursor } : {}) },
          },
          ...call,
        }),
      );
      entries.push(...page.entries);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return entries;
  }

  /** Deletes a file, or a folder (with `recursive` when it is not empty). */
  async remove(path: string, options: { recursive?: boolean } & CallOptions = {}): Promise<void> {
    const { recursive, ...call } = options;
    await this.transport.call(
      this.transport.api.POST("/bots/{bot_id}/container/fs/delete", {
        params: { path: this.path },
        body: { path, ...(recursive === undefined ? {} : { recursive }) },
        ...call,
      }),
    );
  }

  async rename(oldPath: string, newPath: string, call: CallOptions = {}): Promise<void> {
    await this.transport.call(
      this.transport.api.POST("/bots/{bot_id}/container/fs/rename", {
        params: { path: this.path },
        body: { oldPath, newPath },
        ...call,
      }),
    );
  }

  async mkdir(path: string, call: CallOptions = {}): Promise<void> {
    await this.transport.call(
      this.transport.api.POST("/bots/{bot_id}/container/fs/mkdir", {
        params: { path: this.path },
        body: { path },
        ...call,
      }),
    );
  }

  /** Writes bytes to a file as they are read; the file takes its name only once complete. */
  async upload(path: string, body: UploadBody, call: CallOptions = {}): Promise<UploadedFile> {
    const response = await this.transport.request("PUT", botPath(this.botId, "/container/fs/upload"), {
      query: { path },
      body: typeof body === "string" ? new TextEncoder().encode(body) : body,
      headers: { "content-type": "application/octet-stream" },
      ...call,
    });
    return (await response.json()) as UploadedFile;
  }

  /** A file's bytes as a web stream, read as they come, and its size when the server said it. */
  async download(path: string, call: CallOptions = {}): Promise<Download> {
    const response = await this.transport.request("GET", botPath(this.botId, "/container/fs/download"), {
      query: { path },
      ...call,
    });
    const size = Number(response.headers.get("content-length") ?? NaN);
    return { body: response.body!, size: Number.isFinite(size) ? size : undefined };
  }
}
