import { z } from "zod";

/** Bot ids as the original validated them, bounded in length. */
export const botIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, "must be 1-128 characters of [A-Za-z0-9_-]");

export const botParams = z.object({ bot_id: botIdSchema });
