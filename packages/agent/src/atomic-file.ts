import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createWriteStream, fchmod, fchown, type Stats, type WriteStream } from "node:fs";
import { lstat, readlink, rename, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

import { makeFolders } from "./make-folders.js";
import { describeSystemError, errorCode, internal } from "./rpc-error.js";

const WRITE_BUFFER_BYTES = 1024 * 1024;
const MAX_SYMLINK_HOPS = 40;

/**
 * Writes a file so that readers only ever see the old content or the whole new
 * content: data goes to a temporary file in the target's folder, is flushed,
 * then renamed over the target. The original truncated in place, so
 * a broken stream left a half-written file where the old one was.
 */
export class AtomicFile {
  private written = 0;
  private done = false;
  private streamError: Error | undefined;

  private constructor(
    readonly target: string,
    private readonly tempPath: string,
    // Buffered, so the next message is received while earlier data is
    // written; `flush` fsyncs before the descriptor closes.
    private readonly stream: WriteStream,
    private readonly shown = target,
  ) {
    stream.on("error", (error) => {
      this.streamError = error;
    });
  }

  static async create(requestedPath: string): Promise<AtomicFile> {
    const target = await followSymlink(requestedPath);
    const existing = await stat(target).catch(() => undefined);
    if (existing?.isDirectory()) throw internal(`create ${target}: is a directory`);
    const folder = path.dirname(target);
    try {
      await makeFolders(folder);
    } catch (error) {
      throw internal(describeSystemError("mkdir", folder, error));
    }
    return AtomicFile.beside(target, existing);
  }

  /**
   * Starts the temporary file next to `target`, whose folder exists; `target`
   * may name it through /proc/self/fd (anchored-path.ts), then `shown` is
   * the path messages give. `existing` is the file it replaces, if any.
   */
  static async beside(target: string, existing?: Stats, shown = target): Promise<AtomicFile> {
    const tempPath = path.join(
      path.dirname(target),
      `.${path.basename(target)}.botbox-${randomBytes(6).toString("hex")}.tmp`,
    );
    // "wx" is O_CREAT|O_EXCL, which never follows a link either.
    const stream = createWriteStream(tempPath, {
      flags: "wx",
      mode: 0o644,
      flush: true,
      highWaterMark: WRITE_BUFFER_BYTES,
    });
    try {
      await Promise.race([once(stream, "open"), once(stream, "error")]);
    } catch (error) {
      throw internal(describeSystemError("create", shown, error));
    }
    const atomic = new AtomicFile(target, tempPath, stream, shown);
    if (existing) await atomic.keepOwnershipOf(existing.mode, existing.uid, existing.gid);
    return atomic;
  }

  get bytesWritten(): number {
    return this.written;
  }

  async write(data: Uint8Array): Promise<void> {
    if (this.streamError) throw this.streamError;
    this.written += data.length;
    if (!this.stream.write(data)) await Promise.race([once(this.stream, "drain"), once(this.stream, "error")]);
    if (this.streamError) throw this.streamError;
  }

  async commit(): Promise<void> {
    this.done = true;
    try {
      if (this.streamError) throw this.streamError;
      this.stream.end();
      await once(this.stream, "close");
      if (this.streamError) throw this.streamError;
      await rename(this.tempPath, this.target);
    } catch (error) {
      await this.closeStream();
      await unlink(this.tempPath).catch(() => undefined);
      throw internal(describeSystemError("write", this.shown, error));
    }
  }

  /** Drops the temporary file; the target is left as it was. Safe to call twice. */
  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.closeStream();
    await unlink(this.tempPath).catch(() => undefined);
  }

  private async closeStream(): Promise<void> {
    if (this.stream.closed) return;
    const closed = once(this.stream, "close").catch(() => undefined);
    this.stream.destroy();
    await closed;
  }

  private async keepOwnershipOf(mode: number, uid: number, gid: number): Promise<void> {
    // An overwrite in place kept the file's mode and owner; a rename would
    // not. Through the descriptor: the temporary file's name could be a link
    // by now.
    const fd = (this.stream as unknown as { fd: number }).fd;
    await promisify(fchmod)(fd, mode & 0o7777).catch(() => undefined);
    if (process.getuid?.() === 0) await promisify(fchown)(fd, uid, gid).catch(() => undefined);
  }
}

/**
 * Writing through a symlink updates the file it points at, as a truncating
 * write did, even when that file does not exist yet (a dangling link).
 */
async function followSymlink(target: string): Promise<string> {
  let current = target;
  for (let hops = 0; hops < MAX_SYMLINK_HOPS; hops++) {
    try {
      if (!(await lstat(current)).isSymbolicLink()) return current;
      current = path.resolve(path.dirname(current), await readlink(current));
    } catch (error) {
      if (errorCode(error) === "ENOENT") return current;
      throw internal(describeSystemError("stat", current, error));
    }
  }
  throw internal(`open ${target}: too many levels of symbolic links`);
}

export async function writeFileAtomically(target: string, content: Uint8Array): Promise<void> {
  const file = await AtomicFile.create(target);
  try {
    await file.write(content);
  } catch (error) {
    await file.abort();
    throw internal(describeSystemError("write", target, error));
  }
  await file.commit();
}
