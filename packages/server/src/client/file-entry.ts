import type { FileEntry as WireFileEntry } from "@botbox/proto";

/** What a directory entry is; devices, pipes and sockets are all "other". */
export type FileKind = "file" | "dir" | "symlink" | "other";

/**
 * A file as the agent describes it (Stat, ListDir), typed once here so no
 * caller reads Go's mode string again. Stat follows symbolic links, so its
 * entries are never "symlink"; ListDir describes the links themselves.
 */
export interface FileEntry {
  /** The name (ListDir: relative to the folder listed; Stat: the base name). */
  readonly path: string;
  readonly kind: FileKind;
  /** kind === "dir": kept for the many callers (and the HTTP view) that ask only that. */
  readonly isDir: boolean;
  /** Bytes; files in /proc and the like say 0 and are not empty. */
  readonly size: number;
  /** The permission bits, 0o777, with set-uid 0o4000, set-gid 0o2000 and sticky 0o1000. */
  readonly permissions: number;
  /** Go's FileMode.String() as the agent sent it ("drwxr-xr-x"): what the HTTP API and the LLM tools show. */
  readonly mode: string;
  /** RFC 3339, second precision. */
  readonly modTime: string;
}

// Go's FileMode.String(): type letters in Go's order (or "-" for none), then
// rwxrwxrwx. The agent writes only these letters (packages/agent/src/file-entry.ts).
const GO_MODE = /^(-|[dLDpSugct]+)([r-][w-][x-][r-][w-][x-][r-][w-][x-])$/;

/** Type letters that make a file something other than a plain file, folder or link. */
const OTHER_LETTERS = /[DpSc]/;

/**
 * The kind and permission bits of a Go mode string; `isDir` as the agent
 * reported it decides for a string this parser does not know (then "other"
 * unless a folder, so nothing unknown is ever read as a plain file).
 */
export function parseGoMode(mode: string, isDir: boolean): { kind: FileKind; permissions: number } {
  const match = GO_MODE.exec(mode);
  if (!match) return { kind: isDir ? "dir" : "other", permissions: 0 };
  const [, letters = "", rwx = ""] = match;
  let permissions = 0;
  for (let bit = 0; bit < 9; bit++) if (rwx[bit] !== "-") permissions |= 1 << (8 - bit);
  if (letters.includes("u")) permissions |= 0o4000;
  if (letters.includes("g")) permissions |= 0o2000;
  if (letters.includes("t")) permissions |= 0o1000;
  return { kind: kindOf(letters, isDir), permissions };
}

function kindOf(letters: string, isDir: boolean): FileKind {
  if (isDir || letters.includes("d")) return "dir";
  if (letters.includes("L")) return "symlink";
  if (OTHER_LETTERS.test(letters)) return "other";
  return "file";
}

/** The one parser of the agent's entries: AgentClient's listDir and stat answer with these. */
export function toFileEntry(wire: WireFileEntry): FileEntry {
  const { kind, permissions } = parseGoMode(wire.mode, wire.isDir);
  return {
    path: wire.path,
    kind,
    isDir: kind === "dir",
    size: Number(wire.size),
    permissions,
    mode: wire.mode,
    modTime: wire.modTime,
  };
}
