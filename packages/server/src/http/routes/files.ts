import { Readable } from "node:stream";

import multipart from "@fastify/multipart";
import type { FastifyInstance } from "fastify";
import { z } from "zod";

import { uploadTooLarge, type WorkspaceFiles } from "../../workspace/index.js";
import { fileEntrySchema, fileListSchema, fileSearchSchema, okSchema, uploadedFileSchema } from "../api-schemas.js";
import { answerBeforeBody } from "../early-answer.js";
import { sendDownload } from "../files/download.js";
import { optionalPath, requiredPath } from "../files/path-params.js";
import { interruptible, uploadMultipart } from "../files/upload.js";
import { botParams } from "../params.js";
import { addRoute, type AnyRoute } from "../route.js";

const FS = "/bots/:bot_id/container/fs";

const paging = {
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  cursor: z.string().min(1).max(16_384).optional(),
};
const ok = { ok: true } as const;

/** The file manager, /bots/:bot_id/container/fs…: paths absolute from the container root (docs/reference.md#file-manager). */
export function fileRoutes(app: FastifyInstance, routes: AnyRoute[], files: WorkspaceFiles): void {
  // One child scope: multipart parsing, the raw upload body and this error
  // handler are seen by these routes only.
  void app.register(async (scope) => {
    // limitBytes (workspace/upload.ts) reports an oversized file, before WriteRaw commits.
    await scope.register(multipart, { throwFileSizeLimit: false });
    scope.setErrorHandler((error, request, reply) => {
      // The app's handler then answers as for any other route.
      answerBeforeBody(request, reply);
      throw error;
    });

    addRoute(scope, routes, {
      method: "GET",
      url: FS,
      summary: "Describe a file or folder: {name, path, size, mode, modTime, isDir}",
      params: botParams,
      query: z.object({ path: optionalPath("/") }),
      response: fileEntrySchema,
      handler: async ({ params, query }) => files.describe(params.bot_id, query.path),
    });

    addRoute(scope, routes, {
      method: "GET",
      url: `${FS}/list`,
      summary: "List a folder, or with recursive=true its whole tree depth first, a page at a time (nextCursor)",
      params: botParams,
      query: z.object({ path: optionalPath("/"), recursive: z.enum(["true", "false"]).default("false"), ...paging }),
      response: fileListSchema,
      handler: async ({ params, query }) =>
        files.list(params.bot_id, { ...query, recursive: query.recursive === "true" }),
    });

    addRoute(scope, routes, {
      method: "GET",
      url: `${FS}/search`,
      summary: "Find entries under a folder whose name matches a glob (* ? [..]), a page at a time",
      params: botParams,
      query: z.object({
        path: optionalPath("/data"),
        pattern: z.string({ error: "is required" }).min(1, "is required").max(1024),
        ...paging,
      }),
      response: fileSearchSchema,
      handler: async ({ params, query }) => files.search(params.bot_id, query),
    });

    addRoute(scope, routes, {
      method: "GET",
      url: `${FS}/read`,
      summary: "A UTF-8 text file's whole content: {path, content, size}; 413 past files.max_read_bytes",
      params: botParams,
      query: z.object({ path: requiredPath }),
      response: z.object({ path: z.string(), content: z.string(), size: z.number() }).meta({ id: "TextFile" }),
      handler: async ({ params, query }) => files.readText(params.bot_id, query.path),
    });

    addRoute(scope, routes, {
      method: "GET",
      url: `${FS}/download`,
      summary: "Stream a file's bytes; honours a single Range (206, 416)",
      params: botParams,
      query: z.object({ path: requiredPath }),
      response: { kind: "file", description: "the file's bytes (206 for a Range)" },
      alsoAnswers: { 206: "the requested range of the file" },
      handler: async ({ params, query }, request, reply) =>
        sendDownload(await files.openDownload(params.bot_id, query.path), request, reply),
    });

    addRoute(scope, routes, {
      method: "POST",
      url: `${FS}/write`,
      summary: "Write a text file atomically (JSON {path, content}; bodies up to 8 MiB)",
      params: botParams,
      body: z.object({ path: requiredPath, content: z.string({ error: "must be a string" }) }).strict(),
      response: okSchema,
      handler: async ({ params, body }) => {
        await files.writeText(params.bot_id, body.path, body.content);
        return ok;
      },
    });

    addRoute(scope, routes, {
      method: "POST",
      url: `${FS}/upload`,
      summary: "Upload a file as multipart/form-data: a path field, then the file part; {path, size}",
      params: botParams,
      response: uploadedFileSchema,
      handler: async ({ params }, request) =>
        uploadMultipart(request, (target) => files.prepareUpload(params.bot_id, target), files.maxUploadBytes),
    });

    // The raw variant, in its own scope so that any body, whatever its type
    // (`curl -T` sends none), reaches it as a stream: the fast path for big
    // files and the CLI.
    void scope.register(async (raw) => {
      raw.removeAllContentTypeParsers();
      raw.addContentTypeParser("*", (_request, payload, done) => done(null, payload));
      addRoute(raw, routes, {
        method: "PUT",
        url: `${FS}/upload`,
        summary: "Upload a file as the raw request body (application/octet-stream); {path, size}",
        params: botParams,
        query: z.object({ path: requiredPath }),
        response: uploadedFileSchema,
        handler: async ({ params, query }, request) => {
          if (Number(request.headers["content-length"] ?? 0) > files.maxUploadBytes) {
            throw uploadTooLarge(files.maxUploadBytes);
          }
          // No body at all (Content-Length: 0) is an empty file.
          const body: Readable | Uint8Array[] = request.body instanceof Readable ? request.body : [];
          return (await files.prepareUpload(params.bot_id, query.path)).write(interruptible(body));
        },
      });
    });

    addRoute(scope, routes, {
      method: "POST",
      url: `${FS}/mkdir`,
      summary: "Create a folder and its missing parents",
      params: botParams,
      body: z.object({ path: requiredPath }).strict(),
      response: okSchema,
      handler: async ({ params, body }) => {
        await files.mkdir(params.bot_id, body.path);
        return ok;
      },
    });

    addRoute(scope, routes, {
      method: "POST",
      url: `${FS}/delete`,
      summary: "Delete a file, or a folder (recursive=true for a non-empty one); 403 for folders the workspace needs",
      params: botParams,
      body: z
        .object({ path: requiredPath, recursive: z.boolean({ error: "must be a boolean" }).default(false) })
        .strict(),
      response: okSchema,
      handler: async ({ params, body }) => {
        await files.delete(params.bot_id, body.path, body.recursive);
        return ok;
      },
    });

    addRoute(scope, routes, {
      method: "POST",
      url: `${FS}/rename`,
      summary: "Rename or move a file or folder: {oldPath, newPath}",
      params: botParams,
      body: z.object({ oldPath: requiredPath, newPath: requiredPath }).strict(),
      response: okSchema,
      handler: async ({ params, body }) => {
        await files.rename(params.bot_id, body.oldPath, body.newPath);
        return ok;
      },
    });
  });
}
