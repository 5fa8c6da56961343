import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";

import { NotFoundError } from "../errors.js";
import { type IngestSource, MeteredDigest } from "./metered-digest.js";
import { DEFAULT_MIME, extensionFor, mimeForPath, normalizeMime } from "./mime-types.js";
import { checkBotId, checkListPrefix, checkStorageKey } from "./routing-key.js";
import type { MediaStorage } from "./storage.js";

/** Files in flight, hidden from listings and from callers' keys (segments may not start with "."). */
const STAGING_DIR = ".incoming";

export interface MediaServiceOptions {
  /** Largest file ingested; past it, MediaTooLargeError. */
  maxBytes: number;
}

export interface IngestInput {
  source: IngestSource;
  /** Its media type; application/octet-stream when unknown. */
  mime?: string;
  /** The original file name, whose extension is kept when the mime has none of its own. */
  fileName?: string;
}

/** A stored media file, as ingest reports it. */
export interface MediaRecord {
  /** Routing key, `<botId>/<storageKey>`. */
  key: string;
  /** `<sha256[:2]>/<sha256><ext>`, the name under /data/media. */
  storageKey: string;
  /** Where the bot finds it: /data/media/<storageKey>. */
  accessPath: string;
  mime: string;
  size: number;
  sha256: string;
  /** True when the same content was already stored and nothing was written. */
  deduplicated: boolean;
}

export interface MediaEntry {
  key: string;
  storageKey: string;
  accessPath: string;
  mime: string;
  size: number;
  modTime: string;
}

export interface OpenedMedia {
  stream: Readable;
  mime: string;
  size: number;
}

/**
 * Content-addressed media of a bot.
 *
 * Ingest streams the input straight into a staging file in the bot's own
 * /data/media/.incoming, hashing it on the way, then renames it to its
 * content address. The bytes cross once and are written once; the rename
 * copies nothing. The original spooled to a temporary file on the host
 * first, which writes and re-reads every byte on the host before sending
 * it. Its cost is paid on a duplicate only: the staged copy is dropped, and
 * the stored file is left untouched.
 */
export class MediaService {
  constructor(
    private readonly storage: MediaStorage,
    private readonly options: MediaServiceOptions,
  ) {}

  /** The largest file it ingests, in bytes (routes refuse a larger body before reading it). */
  get maxBytes(): number {
    return this.options.maxBytes;
  }

  async ingest(botId: string, input: IngestInput): Promise<MediaRecord> {
    checkBotId(botId);
    let mime = normalizeMime(input.mime);
    if (mime === DEFAULT_MIME && input.fileName) mime = mimeForPath(input.fileName);
    const extension = extensionFor(mime, input.fileName);
    const staging = `${botId}/${STAGING_DIR}/${randomUUID()}.part`;
    const digest = new MeteredDigest(this.options.maxBytes);
    // A failed put leaves nothing behind: the agent writes atomically.
    await this.storage.put(staging, digest.pass(input.source));
    let staged = true;
    try {
      const sha256 = digest.hex();
      const storageKey = `${sha256.slice(0, 2)}/${sha256}${extension}`;
      const key = `${botId}/${storageKey}`;
      // Dedup asks whether the file exists. The original asked whether it
      // opened, which with its ReadRaw bug always held, so nothing was ever
      // stored.
      const deduplicated = (await this.storage.stat(key)) !== undefined;
      if (!deduplicated) {
        await this.storage.move(staging, key);
        staged = false;
      }
      return {
        key,
        storageKey,
        accessPath: this.storage.accessPath(key),
        mime,
        size: digest.size,
        sha256,
        deduplicated,
      };
    } finally {
      if (staged) await this.storage.delete(staging).catch(() => undefined);
    }
  }

  /** Ingests a file the bot already has, by its /data/… path; the mime comes from its extension unless given. */
  async ingestContainerFile(botId: string, containerPath: string, mime?: string): Promise<MediaRecord> {
    const source = await this.storage.openContainerFile(botId, containerPath);
    try {
      return await this.ingest(botId, { source, mime: mime ?? mimeForPath(containerPath), fileName: containerPath });
    } finally {
      source.destroy();
    }
  }

  async open(botId: string, storageKey: string): Promise<OpenedMedia> {
    const key = this.keyOf(botId, storageKey);
    const stored = await this.storage.stat(key);
    if (!stored) throw new NotFoundError(`no media ${storageKey}`);
    return { stream: await this.storage.open(key), mime: mimeForPath(storageKey), size: stored.size };
  }

  async list(botId: string, prefix: string): Promise<MediaEntry[]> {
    checkBotId(botId);
    const stored = await this.storage.listPrefix(`${botId}/${checkListPrefix(prefix)}`);
    return stored.map((item) => {
      const storageKey = item.key.slice(botId.length + 1);
      return {
        key: item.key,
        storageKey,
        accessPath: this.storage.accessPath(item.key),
        mime: mimeForPath(storageKey),
        size: item.size,
        modTime: item.modTime,
      };
    });
  }

  /** Deletes a stored file; NotFoundError when there is none. */
  async delete(botId: string, storageKey: string): Promise<void> {
    const key = this.keyOf(botId, storageKey);
    if (!(await this.storage.stat(key))) throw new NotFoundError(`no media ${storageKey}`);
    await this.storage.delete(key);
  }

  private keyOf(botId: string, storageKey: string): string {
    return `${checkBotId(botId)}/${checkStorageKey(storageKey)}`;
  }
}
