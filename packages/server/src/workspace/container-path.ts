import path from "node:path";

import { BadRequestError, ForbiddenError } from "../errors.js";

/**
 * File manager paths are absolute from the container root. The
 * input is trimmed, prefixed with "/" and cleaned, so `..` cannot climb above
 * "/". The container is the sandbox: what lies above its root is out of reach
 * whatever the path says.
 */
export function containerPath(requested: string): string {
  const trimmed = requested.trim();
  if (trimmed.includes("\0")) throw new BadRequestError("path must not contain NUL bytes");
  const cleaned = path.posix.resolve("/", trimmed);
  checkNameLengths(cleaned);
  return cleaned;
}

// Linux's NAME_MAX and PATH_MAX (with its NUL), in bytes: past them every
// system call fails with ENAMETOOLONG, so the request is refused first.
const NAME_MAX_BYTES = 255;
const PATH_MAX_BYTES = 4095;

function checkNameLengths(cleaned: string): void {
  if (Buffer.byteLength(cleaned) > PATH_MAX_BYTES)
    throw new BadRequestError(`path is longer than ${PATH_MAX_BYTES} bytes`);
  const long = cleaned.split("/").find((name) => Buffer.byteLength(name) > NAME_MAX_BYTES);
  if (long !== undefined)
    throw new BadRequestError(`path: the name "${long.slice(0, 32)}…" is longer than ${NAME_MAX_BYTES} bytes`);
}

// Folders the sandbox needs to work at all. The original refused only "/",
// so deleting /bin or /data made a workspace unusable.
const PROTECTED = new Set([
  "/",
  "/app",
  "/bin",
  "/boot",
  "/data",
  "/dev",
  "/etc",
  "/home",
  "/opt",
  "/opt/botbox",
  "/opt/mcp-template",
  "/proc",
  "/root",
  "/run",
  "/run/botbox",
  "/sbin",
  "/sys",
  "/tmp",
  "/usr",
  "/var",
]);

// Everything inside these too: the agent's socket lives in /run/botbox, and
// kernel file systems are not files to move around.
const PROTECTED_TREES = ["/run/botbox/", "/proc/", "/sys/", "/dev/"];

export function isProtectedPath(cleaned: string): boolean {
  if (PROTECTED.has(cleaned) || /^\/lib[^/]*$/.test(cleaned)) return true;
  return PROTECTED_TREES.some((tree) => cleaned.startsWith(tree));
}

/** 403 for a path whose removal or replacement would break the workspace. */
export function refuseProtected(cleaned: string, action: string): void {
  if (cleaned === "/") throw new ForbiddenError(`cannot ${action} the root directory`);
  if (isProtectedPath(cleaned)) {
    throw new ForbiddenError(`cannot ${action} ${cleaned}: the workspace needs it`);
  }
}
