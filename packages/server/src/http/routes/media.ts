import { PassThrough, Readable } from "node:stream";

import multipart from "@fastify/multipart";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";

import { BadRequestError } from "../../errors.js";
import {
  type IngestInput,
  type MediaEntry,
  type MediaRecord,
  type MediaService,
  MediaTooLargeError,
} from "../../media/index.js";
import { okSchema } from "../api-schemas.js";
import { requireBotAccess } from "../auth.js";
import { answerBeforeBody } from "../early-answer.js";
import { botParams } from "../params.js";
import { addRoute, type AnyRoute } from "../route.js";

const keyParams = botParams.extend({ "*": z.string() });
const mimeSchema = z.string().max(255);
const fileNameSchema = z.string().max(255);

const mediaFields = {
  /** `<bot id>/<storage key>`. */
  key: z.string(),
  /** `<sha256[:2]>/<sha256><ext>`, the name under /data/media. */
  storage_key: z.string(),
  /** Where the bot finds it: /data/media/<storage_key>. */
  access_path: z.string(),
  mime: z.string(),
  size: z.number(),
};
const storedMediaSchema = z
  .object({ ...mediaFields, sha256: z.string(), deduplicated: z.boolean() })
  .meta({ id: "StoredMedia" });
const mediaEntrySchema = z.object({ ...mediaFields, mod_time: z.string() }).meta({ id: "MediaEntry" });

const recordView = (record: MediaRecord) => ({
  key: record.key,
  storage_key: record.storageKey,
  access_path: record.accessPath,
  mime: record.mime,
  size: record.size,
  sha256: record.sha256,
  deduplicated: record.deduplicated,
});

const entryView = (entry: MediaEntry) => ({
  key: entry.key,
  storage_key: entry.storageKey,
  access_path: entry.accessPath,
  mime: entry.mime,
  size: entry.size,
  mod_time: entry.modTime,
});

/**
 * Media: ingest and fetch content-addressed files. Keys in
 * URLs are storage keys, the part of a media key after `<bot_id>/`.
 */
export function mediaRoutes(app: FastifyInstance, routes: AnyRoute[], media: MediaService): void {
  const options = { maxBytes: media.maxBytes };

  // A child scope: multipart, the raw-body parsers and the error handler are
  // seen by these routes only.
  void app.register(async (scope) => {
    await scope.register(multipart);
    // Access first, before any body is read: a caller learns nothing (not
    // even the size limit) from a bot it cannot reach. Runs after the app's
    // own onRequest hook, which names the caller.
    scope.addHook("onRequest", async (request) => {
      const botId = (request.params as { bot_id?: unknown }).bot_id;
      if (typeof botId === "string") requireBotAccess(request, botId);
    });
    // Any body that is neither JSON nor multipart is the file itself, streamed.
    scope.removeContentTypeParser("text/plain");
    scope.addContentTypeParser("*", (request, payload, done) => {
      if (Number(request.headers["content-length"] ?? 0) > options.maxBytes) {
        done(new MediaTooLargeError(options.maxBytes), undefined);
      } else done(null, payload);
    });
    scope.setErrorHandler((error, request, reply) => {
      // The app's handler then answers as for any other route.
      answerBeforeBody(request, reply);
      throw error;
    });

    addRoute(scope, routes, {
      method: "POST",
      url: "/bots/:bot_id/media",
      summary:
        "Store a file by its content (multipart `file` part, or the raw body with ?mime= or its Content-Type; " +
        "?filename= keeps an extension): {key, storage_key, access_path, mime, size, sha256, deduplicated}",
      params: botParams,
      query: z.object({ mime: mimeSchema.optional(), filename: fileNameSchema.optional() }).strict(),
      response: storedMediaSchema,
      handler: async ({ params, query }, request) => {
        const input = await uploadInput(request, query, options.maxBytes);
        return recordView(await media.ingest(params.bot_id, input));
      },
    });

    addRoute(scope, routes, {
      method: "POST",
      url: "/bots/:bot_id/media/ingest",
      summary: "Store a file the bot already has, by its /data/… path; the mime comes from its extension unless given",
      params: botParams,
      body: z.object({ path: z.string().min(1, "is required").max(4096), mime: mimeSchema.optional() }).strict(),
      response: storedMediaSchema,
      handler: async ({ params, body }) =>
        recordView(await media.ingestContainerFile(params.bot_id, body.path, body.mime)),
    });

    addRoute(scope, routes, {
      method: "GET",
      url: "/bots/:bot_id/media",
      summary: "List stored media whose storage key starts with ?prefix= (one folder; `ab/` lists a whole shard)",
      params: botParams,
      query: z.object({ prefix: z.string().max(512).default("") }).strict(),
      response: z.object({ media: z.array(mediaEntrySchema) }),
      handler: async ({ params, query }) => ({
        media: (await media.list(params.bot_id, query.prefix)).map(entryView),
      }),
    });

    addRoute(scope, routes, {
      method: "GET",
      url: "/bots/:bot_id/media/*",
      summary: "Stream a stored file by its storage key, with its Content-Type",
      params: keyParams,
      response: { kind: "file", description: "the stored file's bytes, with the Content-Type it was stored with" },
      handler: async ({ params }, _request, reply) => {
        const opened = await media.open(params.bot_id, params["*"]);
        void reply
          .type(opened.mime)
          .header("content-length", opened.size)
          // Served from the API's origin: never sniffed, never run as a page.
          .header("x-content-type-options", "nosniff")
          .header("content-security-policy", "default-src 'none'; sandbox");
        return opened.stream;
      },
    });

    addRoute(scope, routes, {
      method: "DELETE",
      url: "/bots/:bot_id/media/*",
      summary: "Delete a stored file by its storage key",
      params: keyParams,
      response: okSchema,
      handler: async ({ params }) => {
        await media.delete(params.bot_id, params["*"]);
        return { ok: true };
      },
    });
  });
}

/** The upload as a stream: a multipart `file` part, or the raw body. */
async function uploadInput(
  request: FastifyRequest,
  query: { mime?: string; filename?: string },
  maxBytes: number,
): Promise<IngestInput> {
  if (request.isMultipart()) {
    // One past the limit, so an oversized file fails in the service with its
    // own message rather than ending "complete" at the limit.
    const part = await request.file({ limits: { fileSize: maxBytes + 1, files: 1, fields: 10, parts: 20 } });
    if (!part) throw new BadRequestError("body.file: is required");
    return {
      source: part.file,
      mime: query.mime ?? part.mimetype,
      fileName: query.filename ?? part.filename,
    };
  }
  const body = request.body;
  if (!(body instanceof Readable)) {
    throw new BadRequestError(
      "send the file as multipart/form-data or as the raw body (a file already in /data goes to /media/ingest)",
    );
  }
  // Read through a PassThrough: a failed ingest then stops reading it
  // without destroying the request, whose socket carries the answer.
  const source = body.pipe(new PassThrough());
  body.on("error", (error) => source.destroy(error));
  const declared = request.headers["content-type"];
  return { source, mime: query.mime ?? declared, fileName: query.filename };
}
