import type { Readable } from "node:stream";

/** A stored file, named by its routing key `<botId>/<sub>`. */
export interface StoredObject {
  key: string;
  size: number;
  /** RFC 3339, as the agent reports it. */
  modTime: string;
}

export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array | string;

/**
 * Where media bytes live (the original's storage.Provider, with its optional
 * ContainerFileOpener and PrefixLister made part of the contract, plus the
 * `stat` and `move` that dedup and staging need). Keys are routing keys.
 */
export interface MediaStorage {
  /** Writes the whole source under the key, atomically; returns the byte count. */
  put(key: string, source: ByteSource): Promise<number>;
  /** Streams a stored file; NotFoundError when there is none. */
  open(key: string): Promise<Readable>;
  /** The stored file, or undefined when there is none (a folder is none). */
  stat(key: string): Promise<StoredObject | undefined>;
  /** Renames one key to another of the same bot, replacing what was there. */
  move(fromKey: string, toKey: string): Promise<void>;
  /** Removes a stored file; removing a missing one succeeds. */
  delete(key: string): Promise<void>;
  /** The file's path as the bot sees it. Pure. */
  accessPath(key: string): string;
  /** Streams any file of the bot's /data, named by its absolute path. */
  openContainerFile(botId: string, containerPath: string): Promise<Readable>;
  /** Stored files whose key starts with the prefix, within one folder. */
  listPrefix(prefix: string): Promise<StoredObject[]>;
}
