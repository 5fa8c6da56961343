import type {} from "@fastify/multipart";
import type { FastifyRequest } from "fastify";

import type { AgentClient } from "../../client/index.js";
import {
  AgentError,
  BadRequestError,
  BotboxError,
  ConflictError,
  NotFoundError,
  PayloadTooLargeError,
  UnavailableError,
} from "../../errors.js";
import { asBotboxError } from "../error-status.js";
import { limitBytes } from "./byte-streams.js";
import { refuseProtected, requiredPath } from "./container-path.js";

export interface UploadResult {
  path: string;
  size: number;
}

/**
 * Streams `source` into `target` through WriteRaw, never holding more than a
 * chunk: a source that fails or passes `limit` bytes fails before the commit
 * chunk, so the agent drops its temporary file and the old content stays.
 */
export async function uploadStream(
  agent: AgentClient,
  target: string,
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  limit: number,
  workspaceRunning?: () => Promise<boolean>,
): Promise<UploadResult> {
  let size: number;
  try {
    size = await agent.writeRaw(
      target,
      limitBytes(interruptible(source), limit, () => uploadTooLarge(limit)),
    );
  } catch (error) {
    // The channel broke mid-write (gRPC says UNAVAILABLE or a bare INTERNAL,
    // whichever comes first) because the bot was stopped under the upload:
    // the agent never committed, so nothing was written. That is the bot's
    // state changing, not a server failure.
    if (isChannelFailure(error) && workspaceRunning && !(await workspaceRunning().catch(() => false)))
      throw new ConflictError(
        `the bot's workspace stopped during the upload of ${target}; nothing was written: start it and upload again`,
        { cause: error },
      );
    throw error;
  }
  return { path: target, size };
}

const isChannelFailure = (error: unknown) => error instanceof UnavailableError || error instanceof AgentError;

/** A client that goes away mid-upload is a 400 of its own making, not a server failure. */
async function* interruptible(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
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

export const uploadTooLarge = (limit: number) =>
  new PayloadTooLargeError(`the upload is larger than the limit of ${limit} bytes (files.max_upload_bytes)`);

/** Checks an upload target before any byte moves: not a protected path, not a folder. */
export async function checkUploadTarget(agent: AgentClient, target: string): Promise<void> {
  refuseProtected(target, "overwrite");
  const existing = await agent.stat(target).catch((error: unknown) => {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  });
  if (existing?.isDir) throw new BadRequestError(`${target} is a directory`);
}

/**
 * The original's multipart upload: a `path` field, then the `file` part, streamed
 * as it arrives. `agentFor` is called once the path is known.
 */
export async function uploadMultipart(
  request: FastifyRequest,
  agentFor: () => Promise<AgentClient>,
  limit: number,
  workspaceRunning?: () => Promise<boolean>,
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
    let agent: AgentClient;
    try {
      agent = await agentFor();
      await checkUploadTarget(agent, target);
    } catch (error) {
      refuse(error);
      continue;
    }
    // Failures from here on (too large, interrupted) answer at once.
    result = await uploadStream(agent, target, part.file, limit, workspaceRunning);
  }
  if (refusal) throw refusal;
  if (result === undefined) {
    throw new BadRequestError(
      target === undefined ? "body.path: is required; body.file: is required" : "body.file: is required",
    );
  }
  return result;
}
