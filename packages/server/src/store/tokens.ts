import { createHash, randomBytes } from "node:crypto";

import type { Selectable } from "kysely";
import { z } from "zod";

import { NotFoundError } from "../errors.js";
import { readDate, readNullableDate, type StoreContext } from "./context.js";
import { translateViolations } from "./db-errors.js";
import { newId } from "./ids.js";
import type { ApiTokensTable } from "./schema.js";
import { botIdSchema, displayNameSchema, parseField, parseInput, recordIdSchema } from "./validation.js";

/** Marks botbox tokens so that secret scanners and people recognise a leaked one. */
export const TOKEN_PREFIX = "bbx_";
export const TOKEN_SCOPES = ["admin", "bot"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export interface TokenRecord {
  id: string;
  name: string;
  scope: TokenScope;
  /** The only bot a `bot` token may touch; null for `admin`. */
  botId: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface NewToken {
  name: string;
  scope: TokenScope;
  /** Required for scope `bot`, forbidden for `admin`. */
  botId?: string;
}

export interface VerifiedToken {
  id: string;
  scope: TokenScope;
  botId: string | null;
}

export interface TokenStore {
  /** `token` is the plaintext, returned this once: only its hash is stored. */
  createToken(input: NewToken): Promise<{ token: string; record: TokenRecord }>;
  /** The token's identity, or undefined for an unknown, malformed or revoked token. */
  verifyToken(plaintext: string): Promise<VerifiedToken | undefined>;
  /** Idempotent; NotFoundError for an unknown id. */
  revokeToken(id: string): Promise<void>;
  /** Oldest first, revoked ones included; never any secret. */
  listTokens(filter?: { botId?: string }): Promise<TokenRecord[]>;
}

// 32 random bytes in base64url: 43 characters.
const TOKEN_PATTERN = /^bbx_[A-Za-z0-9_-]{43}$/;
/** last_used_at is a hint for humans; writing it once a minute spares a write per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

const newTokenSchema = z
  .strictObject({ name: displayNameSchema, scope: z.enum(TOKEN_SCOPES), botId: botIdSchema.optional() })
  .refine((token) => (token.scope === "bot") === (token.botId !== undefined), {
    message: "is required for scope 'bot' and not allowed for scope 'admin'",
    path: ["botId"],
  });
const listFilterSchema = z.strictObject({ botId: botIdSchema.optional() });

function hashToken(plaintext: string): string {
  return createHash("sha256").update(plaintext, "utf8").digest("hex");
}

function toToken(row: Selectable<ApiTokensTable>): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope as TokenScope,
    botId: row.bot_id,
    createdAt: readDate(row.created_at),
    lastUsedAt: readNullableDate(row.last_used_at),
    revokedAt: readNullableDate(row.revoked_at),
  };
}

export function createTokenStore(ctx: StoreContext): TokenStore {
  const { db } = ctx;
  return {
    async createToken(input) {
      const spec = parseInput(newTokenSchema, input);
      const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
      const row = await translateViolations(
        () =>
          db
            .insertInto("api_tokens")
            .values({
              id: newId(),
              name: spec.name,
              hash: hashToken(token),
              scope: spec.scope,
              bot_id: spec.botId ?? null,
              created_at: ctx.timestamp(new Date()),
            })
            .returningAll()
            .executeTakeFirstOrThrow(),
        { foreign_key: (cause) => new NotFoundError(`bot ${spec.botId} not found`, { cause }) },
      );
      return { token, record: toToken(row) };
    },

    async verifyToken(plaintext) {
      if (typeof plaintext !== "string" || !TOKEN_PATTERN.test(plaintext)) return undefined;
      // Looking up by hash needs no constant-time compare: the timing of an index lookup
      // can only tell an attacker about the hash of their own guess, not the stored one.
      const row = await db
        .selectFrom("api_tokens")
        .selectAll()
        .where("hash", "=", hashToken(plaintext))
        .executeTakeFirst();
      if (!row || row.revoked_at !== null) return undefined;
      const now = new Date();
      const lastUsed = readNullableDate(row.last_used_at);
      if (!lastUsed || now.getTime() - lastUsed.getTime() >= LAST_USED_RESOLUTION_MS) {
        await db
          .updateTable("api_tokens")
          .set({ last_used_at: ctx.timestamp(now) })
          .where("id", "=", row.id)
          .execute();
      }
      return { id: row.id, scope: row.scope as TokenScope, botId: row.bot_id };
    },

    async revokeToken(id) {
      parseField("id", recordIdSchema, id);
      const now = ctx.timestamp(new Date());
      // Keep the first revocation time when revoked twice.
      await db
        .updateTable("api_tokens")
        .set({ revoked_at: now })
        .where("id", "=", id)
        .where("revoked_at", "is", null)
        .execute();
      const exists = await db.selectFrom("api_tokens").select("id").where("id", "=", id).executeTakeFirst();
      if (!exists) throw new NotFoundError(`token ${id} not found`);
    },

    async listTokens(filter = {}) {
      const { botId } = parseInput(listFilterSchema, filter);
      const rows = await db
        .selectFrom("api_tokens")
        .selectAll()
        .$if(botId !== undefined, (query) => query.where("bot_id", "=", botId!))
        .orderBy("created_at")
        .orderBy("id")
        .execute();
      return rows.map(toToken);
    },
  };
}
