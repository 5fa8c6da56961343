import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

import type { Logger } from "pino";

import { BadRequestError, NotFoundError, UnauthenticatedError, UnsupportedMediaTypeError } from "../errors.js";
import { errorResponse } from "../http/error-status.js";
import type { BotManager } from "../manager/index.js";
import { limitBytes, uploadTooLarge, type WorkspaceFiles } from "../workspace/index.js";
import { sendJson } from "./e2b-errors.js";
import { e2bPath, ENVD_PREFIX, sandboxOfHeaders } from "./envd-context.js";
import { requestedUser } from "./sandbox-user.js";
import type { SandboxRegistry } from "./sandboxes.js";

export interface EnvdHttpOptions {
  sandboxes: SandboxRegistry;
  manager: BotManager;
  files: WorkspaceFiles;
  logger: Logger;
}

/** envd's errors: the HTTP status and `{ code, message }`, which the SDK turns into its own error classes. */
function sendEnvdError(response: ServerResponse, error: unknown, logger: Logger): void {
  const { status, body } = errorResponse(error);
  if (status >= 500) logger.error({ err: error }, "E2B envd request failed");
  if (response.headersSent) {
    response.destroy();
    return;
  }
  sendJson(response, status, { code: status, message: body.error.message });
}

/** The file a /files request names: `?path=`, or (an upload's part) the part's file name. */
const filePath = (query: URLSearchParams, fallback?: string): string => e2bPath(query.get("path") ?? fallback);

const entryInfo = (target: string) => ({ name: path.posix.basename(target), type: "file", path: target });

/**
 * envd's plain HTTP routes under /e2b-sandbox: /health, and /files to
 * download (GET) and upload (POST, multipart or octet-stream) through
 * botbox's file manager, so a write is atomic and bounded by
 * files.max_upload_bytes as everywhere else.
 */
export function envdHttpHandler(options: EnvdHttpOptions) {
  const { sandboxes, manager, files, logger } = options;

  async function upload(request: IncomingMessage, botId: string, query: URLSearchParams) {
    const type = request.headers["content-type"] ?? "";
    const limit = files.maxUploadBytes;
    if (type.startsWith("application/octet-stream")) {
      if (request.headers["content-encoding"])
        throw new UnsupportedMediaTypeError("compressed uploads are not supported");
      const target = filePath(query);
      await (await files.prepareUpload(botId, target)).write(request);
      return [entryInfo(target)];
    }
    if (!type.startsWith("multipart/form-data"))
      throw new UnsupportedMediaTypeError("upload body: multipart/form-data or application/octet-stream");
    // The Fetch API's parser holds the form whole: bounded to the upload limit (and a little for the form's framing).
    const body = Readable.toWeb(Readable.from(limitBytes(request, limit + 64 * 1024, () => uploadTooLarge(limit))));
    const form = await new Request("http://e2b.invalid/", {
      method: "POST",
      headers: { "content-type": type },
      body: body as ReadableStream<Uint8Array>,
      duplex: "half",
    } as RequestInit).formData();
    const written = [];
    for (const [, value] of form.entries()) {
      if (typeof value === "string") continue;
      const target = filePath(query, value.name);
      await (await files.prepareUpload(botId, target)).write([new Uint8Array(await value.arrayBuffer())]);
      written.push(entryInfo(target));
    }
    if (written.length === 0) throw new BadRequestError("upload body: no file part");
    return written;
  }

  async function download(response: ServerResponse, botId: string, query: URLSearchParams) {
    const file = await files.openDownload(botId, filePath(query));
    response.writeHead(200, {
      "content-type": "application/octet-stream",
      "content-length": String(file.entry.size),
    });
    await pipeline(await file.open(), response);
  }

  return (request: IncomingMessage, response: ServerResponse): void => {
    void (async () => {
      try {
        const url = new URL(request.url ?? "/", "http://e2b.invalid");
        const route = url.pathname.slice(ENVD_PREFIX.length);
        const botId = sandboxOfHeaders(sandboxes, (name) => {
          const value = request.headers[name];
          return typeof value === "string" ? value : undefined;
        });
        if (!botId) throw new UnauthenticatedError("send E2b-Sandbox-Id and that sandbox's X-Access-Token");
        await sandboxes.checkUser(
          botId,
          requestedUser(request.headers.authorization, url.searchParams.get("username")),
        );
        if (route === "/health" && request.method === "GET") {
          const running = (await manager.state(botId)).taskRunning;
          sendJson(
            response,
            running ? 204 : 502,
            running ? undefined : { code: 502, message: "sandbox is not running" },
          );
        } else if (route === "/files" && request.method === "GET") await download(response, botId, url.searchParams);
        else if (route === "/files" && request.method === "POST")
          sendJson(response, 200, await upload(request, botId, url.searchParams));
        else throw new NotFoundError(`no envd route ${request.method} ${route}`);
      } catch (error) {
        sendEnvdError(response, error, logger);
      }
    })();
  };
}
