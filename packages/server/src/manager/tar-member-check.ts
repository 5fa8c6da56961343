import { Transform, type TransformCallback } from "node:stream";

import { BadRequestError, PayloadTooLargeError } from "../errors.js";

const BLOCK = 512;
/** Long names and pax records are small; a bigger one is an attack on memory. */
const MAX_METADATA_BYTES = 1024 * 1024;

/** Type flags whose payload describes the next member instead of being file data. */
const METADATA_TYPES = new Set(["x", "g", "L", "K"]);
/** Character and block devices: nothing a bot's /data should hold, and root in a container may make them. */
const DEVICE_TYPES: Record<string, string> = { "3": "character device", "4": "block device" };
/** The symbolic-link names an archive may hold, all together; node_modules trees hold thousands. */
const MAX_SYMLINK_NAME_BYTES = 16 * 1024 * 1024;

/** An archive that unpacks to more than the import allows. */
export class UnpackedTooLargeError extends PayloadTooLargeError {
  constructor(readonly limitBytes: number) {
    super(
      `the archive unpacks to more than ${limitBytes} bytes, the import limit (however small it is compressed); nothing was imported`,
    );
  }
}

export interface TarMemberCheckOptions {
  /**
   * The most bytes the archive may unpack to: every member's size (a sparse
   * file's full size) plus a block for each member's entry. The member that
   * would pass it is refused before any of it is forwarded. Default: no limit.
   */
  maxUnpackedBytes?: number;
}

/**
 * Passes an uncompressed tar stream through unchanged while reading its
 * headers, and fails the stream before forwarding a member whose name (or
 * hard-link target) is absolute, climbs with `..` or goes through a symbolic
 * link the archive made, a device node, or a member that would take the
 * unpacked size past its limit. GNU tar strips or skips escaping members
 * too; checking here as well means an import refuses the whole archive
 * instead of relying on one tar's rules. Symlink targets may contain `..`
 * (node_modules/.bin links do); GNU tar defers writing through them.
 */
export class TarMemberCheck extends Transform {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes of member data still to pass before the next header. */
  private skip = 0;
  /** The metadata member being collected, if any. */
  private collecting: { type: string; size: number } | undefined;
  private next: { path?: string; linkpath?: string; size?: number; realSize?: number } = {};
  private ended = false;
  /** Members that are symbolic links, by their clean name: no later member may go through one. */
  private readonly symlinks = new Set<string>();
  private symlinkNameBytes = 0;
  private readonly maxUnpackedBytes: number;
  members = 0;
  /** What the members so far unpack to, as counted against maxUnpackedBytes. */
  unpackedBytes = 0;

  constructor(options: TarMemberCheckOptions = {}) {
    super();
    this.maxUnpackedBytes = options.maxUnpackedBytes ?? Number.POSITIVE_INFINITY;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.scan(chunk);
    } catch (error) {
      callback(error as Error);
      return;
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    // A stream that stops inside a header or a member is a cut-off archive.
    if (!this.ended && (this.pendingBytes > 0 || this.skip > 0 || this.collecting)) {
      callback(new BadRequestError("the archive ends in the middle of a member: it is truncated"));
      return;
    }
    callback();
  }

  private scan(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length && !this.ended) {
      if (this.skip > 0) {
        const step = Math.min(this.skip, chunk.length - offset);
        this.skip -= step;
        offset += step;
        continue;
      }
      const want = this.collecting ? padded(this.collecting.size) : BLOCK;
      const step = Math.min(want - this.pendingBytes, chunk.length - offset);
      this.pending.push(chunk.subarray(offset, offset + step));
      this.pendingBytes += step;
      offset += step;
      if (this.pendingBytes < want) continue;
      const block = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      if (this.collecting) this.takeMetadata(this.collecting.type, block.subarray(0, this.collecting.size));
      else this.takeHeader(block);
    }
  }

  private takeHeader(header: Buffer): void {
    // GNU tar stops at the first zero block; what follows is padding.
    if (header.every((byte) => byte === 0)) {
      this.ended = true;
      return;
    }
    if (!checksumMatches(header)) {
      throw new BadRequestError(`the archive is corrupt: bad header checksum after ${this.members} members`);
    }
    const type = header[156] === 0 ? "0" : String.fromCharCode(header[156]!);
    const headerSize = numberField(header, 124, 12);
    if (METADATA_TYPES.has(type)) {
      if (headerSize > MAX_METADATA_BYTES) {
        throw new BadRequestError(`the archive has a ${headerSize}-byte "${type}" header`);
      }
      if (headerSize === 0) this.takeMetadata(type, Buffer.alloc(0));
      else this.collecting = { type, size: headerSize };
      return;
    }
    // A pax size replaces the header's (ustar cannot store 8 GiB or more).
    const size = this.next.size ?? headerSize;
    const ustar = header.toString("latin1", 257, 263) === "ustar\0";
    const prefix = ustar ? text(header, 345, 155) : "";
    const name = this.next.path ?? (prefix ? `${prefix}/${text(header, 0, 100)}` : text(header, 0, 100));
    const linkName = this.next.linkpath ?? text(header, 157, 100);
    // A sparse file stores only its data but unpacks to its full size: old GNU
    // headers carry that size at 483, pax ones in GNU.sparse.realsize or .size.
    const realSize = Math.max(size, this.next.realSize ?? 0, type === "S" ? numberField(header, 483, 12) : 0);
    this.next = {};
    this.members++;
    refuseEscape("member", name);
    if (type === "1") refuseEscape(`hard link ${JSON.stringify(name)} to`, linkName);
    if (DEVICE_TYPES[type]) {
      throw new BadRequestError(`the archive is refused: member ${JSON.stringify(name)} is a ${DEVICE_TYPES[type]}`);
    }
    this.refuseThroughSymlink("member", name);
    if (type === "1") this.refuseThroughSymlink(`hard link ${JSON.stringify(name)} to`, linkName);
    if (type === "2") this.rememberSymlink(name);
    this.unpackedBytes += BLOCK + (type === "5" ? 0 : realSize);
    if (this.unpackedBytes > this.maxUnpackedBytes) throw new UnpackedTooLargeError(this.maxUnpackedBytes);
    this.skip = type === "5" ? 0 : padded(size);
  }

  /**
   * A member written through a link the archive made earlier (`link -> /etc`
   * then `link/passwd`) would land wherever the link points; tars differ on
   * whether they write through it, so the archive is refused.
   */
  private refuseThroughSymlink(what: string, name: string): void {
    const parts = cleanParts(name);
    for (let depth = 1; depth < parts.length; depth++) {
      const folder = parts.slice(0, depth).join("/");
      if (this.symlinks.has(folder)) {
        throw new BadRequestError(
          `the archive is refused: ${what} ${JSON.stringify(name)} goes through the symbolic link ${JSON.stringify(folder)} it made earlier`,
        );
      }
    }
  }

  private rememberSymlink(name: string): void {
    const clean = cleanParts(name).join("/");
    this.symlinkNameBytes += clean.length;
    if (this.symlinkNameBytes > MAX_SYMLINK_NAME_BYTES) {
      throw new BadRequestError("the archive is refused: its symbolic links' names pass 16 MiB");
    }
    this.symlinks.add(clean);
  }

  private takeMetadata(type: string, data: Buffer): void {
    this.collecting = undefined;
    if (type === "L") this.next.path = cString(data);
    else if (type === "K") this.next.linkpath = cString(data);
    else {
      const records = parsePax(data);
      // A global header's path would apply to every member: check it alone.
      if (type === "g") {
        if (records.path !== undefined) refuseEscape("global path", records.path);
        return;
      }
      if (records.path !== undefined) this.next.path = records.path;
      if (records.linkpath !== undefined) this.next.linkpath = records.linkpath;
      if (records.size !== undefined) {
        const size = Number(records.size);
        if (!Number.isSafeInteger(size) || size < 0) throw new BadRequestError("the archive is corrupt: bad pax size");
        this.next.size = size;
      }
      const realSize = Number(records["GNU.sparse.realsize"] ?? records["GNU.sparse.size"] ?? 0);
      if (!Number.isSafeInteger(realSize) || realSize < 0) {
        throw new BadRequestError("the archive is corrupt: bad sparse file size");
      }
      if (realSize > 0) this.next.realSize = realSize;
    }
  }
}

function refuseEscape(what: string, name: string): void {
  if (name.startsWith("/") || name.split("/").includes("..")) {
    throw new BadRequestError(
      `the archive is refused: ${what} ${JSON.stringify(name)} would land outside the data folder`,
    );
  }
}

/** A member name's components, without the empty and "." ones tar ignores. */
const cleanParts = (name: string) => name.split("/").filter((part) => part !== "" && part !== ".");

const padded = (size: number) => Math.ceil(size / BLOCK) * BLOCK;

const text = (block: Buffer, start: number, length: number) => cString(block.subarray(start, start + length));

function cString(data: Buffer): string {
  const end = data.indexOf(0);
  return data.toString("utf8", 0, end === -1 ? data.length : end);
}

/** Octal, or GNU base-256 when the top bit of the first byte is set (files over 8 GiB). */
function numberField(block: Buffer, start: number, length: number): number {
  const field = block.subarray(start, start + length);
  if (field[0]! & 0x80) {
    let value = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    return value;
  }
  const digits = field.toString("latin1").replace(/\0.*$/s, "").trim();
  const value = digits === "" ? 0 : parseInt(digits, 8);
  if (!Number.isSafeInteger(value) || value < 0) throw new BadRequestError("the archive is corrupt: bad size field");
  return value;
}

/** Tars differ on signed or unsigned bytes; either sum is accepted, as GNU tar does. */
function checksumMatches(header: Buffer): boolean {
  const stored = numberField(header, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : header[i]!;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

/** Pax records: "<length> <key>=<value>\n", the length counting the whole record. */
function parsePax(data: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    const length = parseInt(data.toString("latin1", offset, space), 10);
    if (space === -1 || !(length > 0) || offset + length > data.length) {
      throw new BadRequestError("the archive is corrupt: bad pax header");
    }
    const record = data.toString("utf8", space + 1, offset + length - 1);
    const equals = record.indexOf("=");
    if (equals > 0) records[record.slice(0, equals)] = record.slice(equals + 1);
    offset += length;
  }
  return records;
}
