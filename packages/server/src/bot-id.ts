import { z } from "zod";

/**
 * A bot's id, one rule for the API, the store and the runtimes: 1 to 64
 * letters, digits, '_' or '-'. The original's characters, capped so that the
 * container name `mcp-<id>` stays a usable host name (at most 63 bytes a
 * label, docs/reference.md) and file names built on it stay short.
 */
export const BOT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const botIdSchema = z.string().regex(BOT_ID_PATTERN, "must be 1 to 64 letters, digits, '_' or '-'");
