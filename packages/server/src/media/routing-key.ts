import path from "node:path";

import { BadRequestError } from "../errors.js";

/** Where media lives inside a bot's workspace. */
export const MEDIA_ROOT = "/data/media";

const BOT_ID = /^[A-Za-z0-9_-]{1,128}$/;
const MAX_STORAGE_KEY_LENGTH = 512;
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const CONTROL_OR_BACKSLASH = /[\u0000-\u001f\u007f\\]/;

export interface RoutingKey {
  botId: string;
  /** The path under /data/media. */
  sub: string;
}

/** Go's path.Clean for the cases keys meet: `.`, `//` and `..` folded, no trailing slash, "" → ".". */
function clean(key: string): string {
  const normalized = path.posix.normalize(key === "" ? "." : key);
  return normalized.length > 1 ? normalized.replace(/\/+$/, "") : normalized;
}

export function checkBotId(botId: string): string {
  if (!BOT_ID.test(botId)) throw new BadRequestError("invalid storage key");
  return botId;
}

/** ("", key) when the key has no slash; else the parts either side of the first one. */
export function splitRoutingKey(key: string): [string, string] {
  const slash = key.indexOf("/");
  return slash < 0 ? ["", key] : [key.slice(0, slash), key.slice(slash + 1)];
}

/**
 * `<botId>/<sub>`, as the original's parseRoutingKey took it. Stricter than the original,
 * which cleaned first and so took `bot-a/../bot-b/x` for bot-b's `x`: any
 * `..` segment is refused before cleaning, and the bot part must be a bot id.
 */
export function parseRoutingKey(key: string): RoutingKey {
  if (CONTROL_OR_BACKSLASH.test(key)) throw new BadRequestError("invalid storage key");
  if (key.split("/").includes("..")) throw new BadRequestError("path traversal is forbidden");
  const cleaned = clean(key);
  if (cleaned.startsWith("/")) throw new BadRequestError("absolute key is forbidden");
  const [botId, sub] = splitRoutingKey(cleaned);
  if (!sub) throw new BadRequestError("invalid storage key");
  return { botId: checkBotId(botId), sub };
}

/**
 * A storage key as callers of the HTTP API name it (`ab/ab12….png`, the part
 * after `<botId>/`): plain segments only, none hidden (the staging folder is
 * `.incoming`), so a key can neither climb out of /data/media nor reach files
 * in flight.
 */
export function checkStorageKey(storageKey: string): string {
  checkSegments(storageKey, "storage key");
  if (storageKey === "" || storageKey.endsWith("/")) throw new BadRequestError("invalid storage key");
  return storageKey;
}

/** A listing prefix: a storage key's beginning; "" or a trailing slash names a whole folder. */
export function checkListPrefix(prefix: string): string {
  if (prefix === "") return prefix;
  checkSegments(prefix.endsWith("/") ? prefix.slice(0, -1) : prefix, "prefix");
  return prefix;
}

function checkSegments(value: string, what: string): void {
  if (value.length > MAX_STORAGE_KEY_LENGTH) throw new BadRequestError(`${what} is too long`);
  if (CONTROL_OR_BACKSLASH.test(value)) throw new BadRequestError(`${what} contains a forbidden character`);
  for (const segment of value.split("/")) {
    if (segment === "..") throw new BadRequestError("path traversal is forbidden");
    if (segment === "" || segment.startsWith(".")) throw new BadRequestError(`invalid ${what}`);
  }
}
