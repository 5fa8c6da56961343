import { z } from "zod";

import { BOTBOX_ERROR_CODES } from "../errors.js";

/**
 * Response shapes several route families share, named so the OpenAPI
 * document lists each once under components.schemas (`.meta({ id })`) and a
 * generated client gets one type per name. A family's own shapes live in its
 * route file, next to the handler that builds them.
 */

/** The one error envelope every route answers a 4xx/5xx with (http/error-status.ts). */
export const errorSchema = z
  .object({
    error: z.object({
      code: z.enum(BOTBOX_ERROR_CODES).describe("the botbox error code; docs/server.md lists them"),
      message: z.string(),
    }),
  })
  .meta({ id: "Error" });

/**
 * An instant: the handler gives a Date, the client gets its ISO 8601 text
 * (JSON.stringify's own conversion). As a codec, the handler's type (input)
 * and the document's (output) are each what they are on their side.
 */
export const timestamp = z.codec(z.date(), z.iso.datetime(), {
  decode: (date) => date.toISOString(),
  encode: (text) => new Date(text),
});

/** `{ ok: true }`: a change that answers nothing else. */
export const okSchema = z.object({ ok: z.boolean().describe("always true") }).meta({ id: "Ok" });

/** A JSON-RPC 2.0 response, as an MCP server answers: a result or an error. */
export const jsonRpcResponse = z
  .object({
    jsonrpc: z.string().describe('"2.0"'),
    id: z.unknown().describe("the request's id: a string, a number or null"),
    result: z.unknown().optional(),
    error: z.looseObject({ code: z.number(), message: z.string() }).optional(),
  })
  .meta({ id: "JsonRpcResponse" });

/** A signed URL that works without a token until `expires_at`. */
export const signedLinkSchema = z
  .object({ url: z.string(), path: z.string(), expires_at: z.iso.datetime() })
  .meta({ id: "SignedLink" });

/** A file or folder in a bot's workspace (workspace/entry-view.ts). */
export const fileEntrySchema = z
  .object({
    name: z.string(),
    path: z.string(),
    size: z.number(),
    /** Unix permission bits and type, as `ls -l` shows them. */
    mode: z.string(),
    modTime: z.string(),
    isDir: z.boolean(),
  })
  .meta({ id: "FileEntry" });

/** One page of entries; pass nextCursor back as `cursor` for the next (null: this was the last). */
const pageShape = { path: z.string(), entries: z.array(fileEntrySchema), nextCursor: z.string().nullable() };
export const fileListSchema = z.object(pageShape).meta({ id: "FileList" });
export const fileSearchSchema = z.object({ ...pageShape, pattern: z.string() }).meta({ id: "FileSearch" });

/** A file written from an upload. */
export const uploadedFileSchema = z.object({ path: z.string(), size: z.number() }).meta({ id: "UploadedFile" });

/** An MCP tool as its server lists it (the MCP schema's Tool: more fields than these may come). */
export const mcpToolSchema = z
  .looseObject({
    name: z.string(),
    description: z.string().optional(),
    inputSchema: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "McpTool" });
