import type { AgentClient } from "../client/index.js";
import {
  AgentError,
  BadRequestError,
  ConflictError,
  NotFoundError,
  PayloadTooLargeError,
  UnavailableError,
} from "../errors.js";
import { refuseProtected } from "./container-path.js";

export interface UploadResult {
  path: string;
  size: number;
}

/** Bytes as they arrive, from an HTTP body, a multipart part or a buffer. */
export type UploadSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export const uploadTooLarge = (limit: number) =>
  new PayloadTooLargeError(`the upload is larger than the limit of ${limit} bytes (files.max_upload_bytes)`);

/**
 * Passes `source` on, failing (with `tooLarge`) as soon as more than `limit`
 * bytes went through: the failure reaches WriteRaw before its commit chunk,
 * so the old file stays.
 */
export async function* limitBytes(
  source: UploadSource,
  limit: number,
  tooLarge: () => Error,
): AsyncGenerator<Uint8Array> {
  let seen = 0;
  for await (const chunk of source) {
    seen += chunk.length;
    if (seen > limit) throw tooLarge();
    yield chunk;
  }
}

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
 * Streams `source` into `target` through WriteRaw, never holding more than a
 * chunk: a source that fails or passes `limit` bytes fails before the commit
 * chunk, so the agent drops its temporary file and the old content stays.
 */
export async function uploadStream(
  agent: AgentClient,
  target: string,
  source: UploadSource,
  limit: number,
  workspaceRunning?: () => Promise<boolean>,
): Promise<UploadResult> {
  let size: number;
  try {
    size = await agent.writeRaw(
      target,
      limitBytes(source, limit, () => uploadTooLarge(limit)),
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
