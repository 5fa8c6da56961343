import { constants, type Stats } from "node:fs";

import type { FileEntry } from "@botbox/proto";

const { S_IFMT, S_IFDIR, S_IFLNK, S_IFBLK, S_IFCHR, S_IFIFO, S_IFSOCK } = constants;
const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;

/**
 * Go's `FileMode.String()`: type letters in Go's bit order
 * (d, L, D, p, S, u, g, c, t), or "-" when there are none, then rwxrwxrwx.
 */
export function goFileMode(mode: number): string {
  const type = mode & S_IFMT;
  let letters = "";
  if (type === S_IFDIR) letters += "d";
  if (type === S_IFLNK) letters += "L";
  if (type === S_IFBLK || type === S_IFCHR) letters += "D";
  if (type === S_IFIFO) letters += "p";
  if (type === S_IFSOCK) letters += "S";
  if (mode & S_ISUID) letters += "u";
  if (mode & S_ISGID) letters += "g";
  if (type === S_IFCHR) letters += "c";
  if (mode & S_ISVTX) letters += "t";
  let permissions = "";
  const rwx = "rwxrwxrwx";
  for (let bit = 0; bit < 9; bit++) {
    permissions += mode & (1 << (8 - bit)) ? rwx[bit] : "-";
  }
  return (letters || "-") + permissions;
}

const pad2 = (n: number) => String(n).padStart(2, "0");

/** RFC 3339 with second precision in local time, like Go's `time.RFC3339`. */
export function rfc3339(date: Date): string {
  const offsetMinutes = -date.getTimezoneOffset();
  const day = `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}`;
  const time = `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`;
  if (offsetMinutes === 0) return `${day}T${time}Z`;
  const sign = offsetMinutes > 0 ? "+" : "-";
  const abs = Math.abs(offsetMinutes);
  return `${day}T${time}${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

export function toFileEntry(entryPath: string, stats: Stats, isDir = stats.isDirectory()): FileEntry {
  return {
    path: entryPath,
    isDir,
    size: stats.size,
    mode: goFileMode(stats.mode),
    modTime: rfc3339(stats.mtime),
  };
}
