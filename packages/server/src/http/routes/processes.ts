import { Readable } from "node:stream";

import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";

import type { ProcessEvent } from "../../client/index.js";
import { BOTBOX_ERROR_CODES, PayloadTooLargeError } from "../../errors.js";
import {
  type OutputEncoding,
  outputEventJson,
  PROCESS_ID_PATTERN,
  processJson,
  processRef,
  resumeOffset,
  type WorkspaceProcesses,
} from "../../processes/index.js";
import { errorResponse } from "../error-status.js";
import { openEventStream, streamsEndedOnClose } from "../event-stream.js";
import { botParams } from "../params.js";
import { addRoute, type AnyRoute } from "../route.js";

/** Stdin one request may carry; more is refused with 413 (send it in several requests). */
const MAX_STDIN_BYTES = 8 * 2 ** 20;
/** The longest a wait may hold its request, as the agent's bound. */
const MAX_WAIT_SECONDS = 600;

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const processParams = botParams.extend({
  process: z.string().regex(NAME, "must be a process id or tag: 1 to 64 of A-Z a-z 0-9 _ . -"),
});
const tag = z
  .string()
  .regex(NAME, "must be 1 to 64 of A-Z a-z 0-9 _ . -")
  .refine((value) => !PROCESS_ID_PATTERN.test(value), "must not be 12 hex digits, which names a process id");
const terminalSize = z.number().int().min(1, "must be from 1 to 1000").max(1000, "must be from 1 to 1000");
const booleanQuery = z.enum(["true", "false", "1", "0"]).transform((value) => value === "true" || value === "1");

const startBody = z
  .object({
    command: z.union([
      z.array(z.string().max(131_072)).min(1, "must name a program").max(4096),
      z.string().min(1, "must not be empty").max(131_072),
    ]),
    tag: tag.optional(),
    cwd: z.string().min(1).max(4096).optional(),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "names must be [A-Za-z_][A-Za-z0-9_]*"), z.string())
      .optional(),
    pty: z.object({ cols: terminalSize, rows: terminalSize }).strict().optional(),
    output_limit_bytes: z
      .number()
      .int()
      .min(65_536, "must be at least 65536")
      .max(256 * 2 ** 20, "must be at most 268435456")
      .optional(),
  })
  .strict();

const outputQuery = z
  .object({
    since: z.coerce.number().int().min(0, "must be a byte offset, 0 or more").optional(),
    follow: booleanQuery.default(false),
    encoding: z.enum(["auto", "base64"]).default("auto"),
  })
  .strict();

const terminalSizeSchema = z.object({ cols: z.number(), rows: z.number() });

/** A process as the routes answer it (processes/wire.ts, processJson). */
const processSchema = z
  .object({
    id: z.string(),
    tag: z.string(),
    /** The argv it was started with, or its shell line. */
    command: z.union([z.string(), z.array(z.string())]),
    cwd: z.string(),
    pid: z.number(),
    /** lost: its keeper was killed before recording an exit; unresponsive: its keeper did not answer in time. */
    status: z.enum(["running", "exited", "lost", "unresponsive"]),
    started_at: z.string(),
    ended_at: z.string().optional(),
    /** Once exited: the exit code, or 128 + the signal's number. */
    exit_code: z.number().optional(),
    signal: z.string().optional(),
    pty: terminalSizeSchema.optional(),
    output_bytes: z.number(),
    dropped_bytes: z.number(),
    input_open: z.boolean(),
  })
  .meta({ id: "Process" });

/** One event of GET .../output (processes/wire.ts, outputEventJson; the stream's end names `since` to resume from). */
export const outputEventSchema = z
  .discriminatedUnion("type", [
    z.object({
      type: z.literal("output"),
      stream: z.enum(["stdout", "stderr"]),
      offset: z.number(),
      size: z.number(),
      encoding: z.enum(["utf-8", "base64"]),
      data: z.string(),
    }),
    z.object({ type: z.literal("dropped"), from: z.number(), to: z.number() }),
    z.object({ type: z.literal("exit"), process: processSchema }),
    z.object({
      type: z.literal("error"),
      code: z.enum(BOTBOX_ERROR_CODES),
      message: z.string(),
      since: z.number().optional(),
    }),
  ])
  .meta({ id: "ProcessOutputEvent" });

/**
 * The agent's process supervisor over HTTP (docs/processes.md, "HTTP"):
 * start, list, get, signal, stdin, wait, and the output as NDJSON or SSE.
 */
export function processRoutes(app: FastifyInstance, routes: AnyRoute[], processes: WorkspaceProcesses): void {
  const base = "/bots/:bot_id/processes";
  // A followed output may last as long as its process: a stopping server
  // ends each one, naming the offset to attach again from.
  const following = streamsEndedOnClose(app);
  addRoute(app, routes, {
    method: "POST",
    url: base,
    summary: "Start a durable process: command as argv array or a shell line; tag, cwd, env, pty, output cap",
    params: botParams,
    body: startBody,
    status: 201,
    response: processSchema,
    handler: async ({ params, body }) => {
      const command = typeof body.command === "string" ? { shell: body.command } : { argv: body.command };
      const view = await processes.start(params.bot_id, command, {
        ...(body.tag === undefined ? {} : { tag: body.tag }),
        ...(body.cwd === undefined ? {} : { cwd: body.cwd }),
        ...(body.env === undefined ? {} : { env: body.env }),
        ...(body.pty === undefined ? {} : { pty: body.pty }),
        ...(body.output_limit_bytes === undefined ? {} : { outputLimitBytes: body.output_limit_bytes }),
      });
      return processJson(view);
    },
  });
  addRoute(app, routes, {
    method: "GET",
    url: base,
    summary: "The bot's processes: running ones and the finished ones still kept, oldest first",
    params: botParams,
    query: z.object({ tag: tag.optional() }).strict(),
    response: z.object({ processes: z.array(processSchema) }),
    handler: async ({ params, query }) => ({
      processes: (await processes.list(params.bot_id, query.tag)).map(processJson),
    }),
  });
  addRoute(app, routes, {
    method: "GET",
    url: `${base}/:process`,
    summary: "One process by id or tag: status, exit code, signal, times, output and dropped bytes",
    params: processParams,
    response: processSchema,
    handler: async ({ params }) => processJson(await processes.get(params.bot_id, processRef(params.process))),
  });
  addRoute(app, routes, {
    method: "POST",
    url: `${base}/:process/signal`,
    summary: "Send a signal (SIGTERM, TERM, KILL, ...) to the process's whole process group",
    params: processParams,
    body: z
      .object({ signal: z.string().regex(/^[A-Za-z0-9+-]{1,16}$/, "must be a signal name such as SIGTERM") })
      .strict(),
    response: processSchema,
    handler: async ({ params, body }) =>
      processJson(await processes.signal(params.bot_id, processRef(params.process), body.signal)),
  });
  addRoute(app, routes, {
    method: "POST",
    url: `${base}/:process/stdin/close`,
    summary: "Close the process's stdin (on a PTY: Ctrl-D)",
    params: processParams,
    response: z.object({ closed: z.boolean() }),
    handler: async ({ params }) => {
      await processes.closeInput(params.bot_id, processRef(params.process));
      return { closed: true };
    },
  });
  addRoute(app, routes, {
    method: "POST",
    url: `${base}/:process/wait`,
    summary: "Answers once the process exited, or after `timeout` seconds (default 30, at most 600)",
    params: processParams,
    query: z
      .object({
        timeout: z.coerce
          .number()
          .min(0, `must be from 0 to ${MAX_WAIT_SECONDS} seconds`)
          .max(MAX_WAIT_SECONDS, `must be from 0 to ${MAX_WAIT_SECONDS} seconds`)
          .default(30),
      })
      .strict(),
    response: processSchema
      .extend({ timed_out: z.boolean().describe("true when the timeout came first: the process still runs") })
      .meta({ id: "WaitedProcess" }),
    handler: async ({ params, query }) => {
      const view = await processes.wait(params.bot_id, processRef(params.process), Math.round(query.timeout * 1000));
      return { ...processJson(view), timed_out: view.status === "running" || view.status === "unresponsive" };
    },
  });
  addRoute(app, routes, {
    method: "GET",
    url: `${base}/:process/output`,
    summary:
      "Output from byte `since` (or SSE's Last-Event-ID), `follow=true` until exit; NDJSON, or SSE for Accept: text/event-stream",
    params: processParams,
    query: outputQuery,
    response: {
      kind: "ndjson-or-sse",
      description:
        'events, one a line (or an SSE event): {"type":"output",stream,offset,size,encoding,data}, ' +
        '{"type":"dropped",from,to}, {"type":"exit",process}, or {"type":"error",code,message,since}',
      items: outputEventSchema,
    },
    handler: async ({ params, query }, request, reply) => {
      const sse = (request.headers.accept ?? "").includes("text/event-stream");
      const lastEventId = Number(request.headers["last-event-id"]);
      const since = query.since ?? (sse && Number.isSafeInteger(lastEventId) && lastEventId >= 0 ? lastEventId : 0);
      const abort = new AbortController();
      const { events } = await processes.openOutput(params.bot_id, processRef(params.process), {
        offset: since,
        follow: query.follow,
        signal: abort.signal,
      });
      following.add(abort, reply.raw);
      try {
        await streamOutput(reply, events, { sse, encoding: query.encoding, abort, since });
      } finally {
        following.delete(abort);
      }
    },
  });

  // Stdin in its own scope, so that any body, whatever its type, reaches it
  // as a stream: it goes to the agent as it arrives, never held whole.
  void app.register(async (raw) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser("*", (_request, payload, done) => done(null, payload));
    addRoute(raw, routes, {
      method: "POST",
      url: `${base}/:process/stdin`,
      summary: `Write the raw body to the process's stdin (at most ${MAX_STDIN_BYTES} bytes a request); close=true closes it after`,
      params: processParams,
      query: z.object({ close: booleanQuery.default(false) }).strict(),
      response: z.object({ bytes: z.number(), closed: z.boolean() }).meta({ id: "StdinWritten" }),
      handler: async ({ params, query }, request) => {
        const tooLarge = () =>
          new PayloadTooLargeError(
            `stdin is at most ${MAX_STDIN_BYTES} bytes a request; send more in several requests`,
          );
        if (Number(request.headers["content-length"] ?? 0) > MAX_STDIN_BYTES) throw tooLarge();
        const ref = processRef(params.process);
        const body = request.body instanceof Readable ? request.body : Readable.from([]);
        const bytes = await processes.sendInput(params.bot_id, ref, body, { maxBytes: MAX_STDIN_BYTES, tooLarge });
        if (query.close) await processes.closeInput(params.bot_id, ref);
        return { bytes, closed: query.close };
      },
    });
  });
}

/**
 * Writes events as they come, waiting for the client to drain each write:
 * a client that stops reading stops the pull from the agent, so the server
 * holds one socket buffer and the gRPC window, not the output. A client
 * that goes away cancels the agent call at once.
 */
async function streamOutput(
  reply: FastifyReply,
  events: AsyncGenerator<ProcessEvent, void, undefined>,
  options: { sse: boolean; encoding: OutputEncoding; abort: AbortController; since: number },
): Promise<void> {
  let next = options.since;
  const socket = reply.raw;
  reply.hijack();
  const { write } = openEventStream(socket, options);
  try {
    for await (const event of events) {
      if (socket.destroyed) break;
      const offset = resumeOffset(event);
      await write(event.type, outputEventJson(event, options.encoding), offset);
      next = offset ?? next;
    }
  } catch (error) {
    if (!socket.destroyed) {
      // The server stopping cancels the call; say so rather than "cancelled".
      const reason: unknown = options.abort.signal.aborted ? options.abort.signal.reason : error;
      const { code, message } = errorResponse(reason).body.error;
      await write("error", {
        type: "error",
        code,
        message: `${message}; attach again with since=${next}`,
        since: next,
      });
    }
  }
  socket.end();
}
