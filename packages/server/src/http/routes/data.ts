import { Readable, Transform, type TransformCallback } from "node:stream";

import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";

import {
  AgentError,
  BadRequestError,
  BotboxError,
  ConflictError,
  PayloadTooLargeError,
  reachWorkspace,
} from "../../errors.js";
import type { BotManager } from "../../manager/bot-manager.js";
import { exportData, importData } from "../../manager/data-transfer.js";
import { answerBeforeBody } from "../early-answer.js";
import { botParams } from "../params.js";
import { addRoute, type AnyRoute } from "../route.js";

const ARCHIVE_TYPES = ["application/gzip", "application/x-gzip"];

export interface DataRoutesOptions {
  /** Largest archive an import accepts, in bytes. Default 10 GiB. */
  importLimitBytes?: number;
  /**
   * The most bytes an archive may unpack to: a small gzip can hold any
   * amount of zeros. Default: the same as importLimitBytes.
   */
  importUnpackedLimitBytes?: number;
}

export const DEFAULT_IMPORT_LIMIT_BYTES = 10 * 2 ** 30;

/**
 * Export and import of a bot's /data as tar.gz, streamed both ways: neither
 * direction holds an archive in memory, so the app's JSON body limit does not
 * apply and the import has its own, larger one.
 */
export function dataRoutes(
  app: FastifyInstance,
  routes: AnyRoute[],
  manager: Pick<BotManager, "agentFor">,
  options: DataRoutesOptions = {},
): void {
  const limit = options.importLimitBytes ?? DEFAULT_IMPORT_LIMIT_BYTES;
  const unpackedLimit = options.importUnpackedLimitBytes ?? limit;
  // One import per bot at a time: two would race to move /data around.
  const importing = new Set<string>();
  // Registered in a child context so the pass-through body parser is seen
  // by these routes only.
  void app.register(async (scope) => {
    scope.addContentTypeParser(ARCHIVE_TYPES, (request, payload, done) => {
      const declared = Number(request.headers["content-length"] ?? 0);
      if (declared > limit) done(tooLarge(limit), undefined);
      else done(null, payload);
    });

    addRoute(scope, routes, {
      method: "GET",
      url: "/bots/:bot_id/container/export",
      summary: "Stream the bot's /data as a tar.gz",
      params: botParams,
      response: { kind: "tar.gz", description: "the bot's /data as a gzip-compressed tar archive" },
      handler: async ({ params }, _request, reply) => exportArchive(manager, params.bot_id, reply),
    });

    addRoute(scope, routes, {
      method: "POST",
      url: "/bots/:bot_id/container/import",
      summary:
        "Import a tar.gz (the raw request body, application/gzip) into /data; ?replace=true replaces it; 413 past the import limit, as sent or unpacked",
      params: botParams,
      query: z.object({ replace: z.enum(["true", "false"]).default("false") }),
      response: z.object({ imported: z.boolean() }).meta({ id: "Imported" }),
      handler: async ({ params, query }, request, reply) => {
        const upload = request.body;
        if (!(upload instanceof Readable)) {
          throw new BadRequestError(`send the archive as the raw body with content-type ${ARCHIVE_TYPES[0]}`);
        }
        if (importing.has(params.bot_id)) throw new ConflictError(`an import into bot ${params.bot_id} is running`);
        importing.add(params.bot_id);
        try {
          const agent = await reachWorkspace(params.bot_id, (id) => manager.agentFor(id));
          // pipe, with the upload's errors forwarded by hand: an import that
          // stops early must not destroy the request, or the socket goes with
          // it and the client never reads why.
          const archive = upload.pipe(new ByteLimit(limit));
          upload.on("error", (error) =>
            archive.destroy(
              new BadRequestError("the upload was interrupted before the archive was complete", { cause: error }),
            ),
          );
          await importData(agent, archive, { replace: query.replace === "true", maxUnpackedBytes: unpackedLimit });
        } catch (error) {
          answerBeforeBody(request, reply);
          throw archiveRefusal(error);
        } finally {
          importing.delete(params.bot_id);
        }
        return { imported: true };
      },
    });
  });
}

/**
 * tar failing on the archive's contents, or a merge that clashes with what
 * /data holds (a file where a folder is), is the archive's fault: a 400 with
 * tar's words, not a 500. importData raises these as plain agent_error
 * BotboxErrors; an AgentError is the channel's, and keeps its own mapping.
 */
function archiveRefusal(error: unknown): unknown {
  if (!(error instanceof BotboxError) || error.code !== "agent_error" || error instanceof AgentError) return error;
  return new BadRequestError(`the archive could not be imported: ${error.message}`, { cause: error });
}

/** The bot's /data as a tar.gz answer, named for the bot and the time (also sent for a signed export link). */
export async function exportArchive(
  manager: Pick<BotManager, "agentFor">,
  botId: string,
  reply: FastifyReply,
): Promise<Readable> {
  const archive = await exportData(await reachWorkspace(botId, (id) => manager.agentFor(id)));
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  void reply
    .type("application/gzip")
    .header("content-disposition", `attachment; filename="${botId}-data-${stamp}.tar.gz"`);
  // Fastify destroys the archive (so the exec, so tar) if the client
  // goes away, and cuts the chunked body short if tar fails midway: the
  // client sees an incomplete download, never a truncated "valid" one.
  return archive;
}

const tooLarge = (limit: number) =>
  new PayloadTooLargeError(`the archive is larger than the import limit of ${limit} bytes`);

/** Fails the stream once more than `limit` bytes went through (a body without content-length). */
class ByteLimit extends Transform {
  private seen = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) callback(tooLarge(this.limit));
    else callback(null, chunk);
  }
}
