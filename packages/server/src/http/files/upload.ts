import type {} from "@fastify/multipart";
import type { FastifyRequest } from "fastify";

import { BadRequestError, BotboxError } from "../../errors.js";
import type { PreparedUpload, UploadResult, UploadSource } from "../../workspace/index.js";
import { asBotboxError } from "../error-status.js";
import { requiredPath } from "./path-params.js";

/**
 * A request body as an upload's source: a client that goes away mid-upload
 * is a 400 of its own making, not a server failure.
 */
export async function* interruptible(source: UploadSource): AsyncGenerator<Uint8Array> {
  try {
    yield* source;
  } catch (error) {
    // A limit a parser enforced keeps its own code; any other break is the cut.
    const mapped = asBotboxError(error);
    if (mapped && mapped.code !== "bad_request") throw mapped;
    if (error instanceof BotboxError) throw error;
    throw new BadRequestError("the upload was interrupted before it was complete", { cause: error });
  }
}

/**
 * The original's multipart upload: a `path` field, then the `file` part, streamed
 * as it arrives. `prepare` (the workspace's prepareUpload) is called once the
 * path is known; `limit` is files.max_upload_bytes.
 */
export async function uploadMultipart(
  request: FastifyRequest,
  prepare: (target: string) => Promise<PreparedUpload>,
  limit: number,
): Promise<UploadResult> {
  if (!request.isMultipart()) {
    throw new BadRequestError(
      "send multipart/form-data with a path field and then a file part, or PUT the raw bytes to /fs/upload?path=…",
    );
  }
  let target: string | undefined;
  let result: UploadResult | undefined;
  // A malformed form is refused once it was read to its end: answering
  // midway would close the connection under a client still sending it.
  let refusal: Error | undefined;
  const parts = request.parts({
    // One past the limit, so an oversized file reaches limitBytes and fails
    // there rather than ending "complete" at the limit, truncated.
    limits: { fileSize: limit + 1, files: 1, fields: 10, fieldSize: 64 * 1024, parts: 20 },
  });
  for await (const part of parts) {
    if (part.type === "field") {
      if (part.fieldname !== "path" || target !== undefined) continue;
      const parsed = requiredPath.safeParse(part.value);
      if (parsed.success) target = parsed.data;
      else refusal ??= new BadRequestError(`body.path: ${parsed.error.issues[0]?.message ?? "is invalid"}`);
      continue;
    }
    const refuse = (error: unknown) => {
      refusal ??= error as Error;
      part.file.resume();
    };
    if (part.fieldname !== "file") {
      refuse(new BadRequestError(`unexpected file part ${JSON.stringify(part.fieldname)}: send it as "file"`));
      continue;
    }
    if (target === undefined) {
      refuse(new BadRequestError("body.path: is required, and must come before the file part"));
      continue;
    }
    if (refusal) {
      part.file.resume();
      continue;
    }
    let upload: PreparedUpload;
    try {
      upload = await prepare(target);
    } catch (error) {
      refuse(error);
      continue;
    }
    // Failures from here on (too large, interrupted) answer at once.
    result = await upload.write(interruptible(part.file));
  }
  if (refusal) throw refusal;
  if (result === undefined) {
    throw new BadRequestError(
      target === undefined ? "body.path: is required; body.file: is required" : "body.file: is required",
    );
  }
  return result;
}
