import { StringDecoder } from "node:string_decoder";

import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { z } from "zod";

import { commandLineProblem, hasNoNul } from "../../lib/command-line.js";
import { type BotManager, containerIdFor, type ContainerState } from "../../manager/index.js";
import { sweepStaleTransfers } from "../../manager/stale-transfer-sweep.js";
import { CONTAINER_STATUSES } from "../../store/index.js";
import { type BoundedOutput, collectBounded } from "../../tools/index.js";
import { timestamp } from "../api-schemas.js";
import { botParams } from "../params.js";
import { addRoute, type AnyRoute } from "../route.js";

/** One line of POST .../exec/stream: output as it comes, then the exit (or the failure that ended it). */
export const execStreamEventSchema = z
  .discriminatedUnion("type", [
    z.object({ type: z.enum(["stdout", "stderr"]), data: z.string() }),
    z.object({ type: z.literal("exit"), exit_code: z.number() }),
    z.object({ type: z.literal("error"), message: z.string() }),
  ])
  .meta({ id: "ExecStreamEvent" });

/**
 * Starts the bot, then sweeps in the background what uploads and imports cut
 * short by its last stop left in /data: the fresh agent is proof that
 * nothing of an earlier one still writes.
 */
async function startAndSweep(manager: BotManager, botId: string, logger: FastifyBaseLogger): Promise<ContainerState> {
  const state = await manager.start(botId);
  void manager
    .agentFor(botId)
    .then((agent) => sweepStaleTransfers(agent, botId, logger as Logger))
    .catch(() => undefined);
  return state;
}

const execBody = z
  .object({
    command: z
      .string()
      .min(1, "is required")
      // The one rule of lib/command-line.ts, as the LLM's exec tool checks it too.
      .superRefine((command, context) => {
        const problem = commandLineProblem(command);
        if (problem) context.addIssue({ code: "custom", message: problem });
      }),
    work_dir: z.string().refine(hasNoNul, "must not contain NUL bytes").optional(),
    env: z
      .record(
        z.string().regex(/^[^=\0]+$/, "env names cannot contain '=' or NUL"),
        z.string().refine(hasNoNul, "env values must not contain NUL bytes"),
      )
      .optional(),
    /** Seconds; bounded so a request cannot hold a command forever. */
    timeout: z.number().int().min(1).max(3600).optional(),
    stdin: z.string().optional(),
  })
  .strict();

/**
 * The most bytes of each stream `POST …/exec` answers with: half from the
 * start, half from the end. The rest is dropped as it arrives, so a command
 * that prints gigabytes costs the server no more than this; the streaming
 * route gives all of it.
 */
export const EXEC_OUTPUT_KEEP_BYTES = 2 ** 20;

/** A stream's kept text, with a marker saying how many bytes were cut from its middle and where to get them. */
function keptOutput(output: BoundedOutput, stream: "stdout" | "stderr", botId: string): string {
  return output.keptText(
    (dropped) =>
      `\n[botbox: ${dropped} bytes of ${stream} cut here; this route keeps the first and last ` +
      `${EXEC_OUTPUT_KEEP_BYTES / 2} bytes of each stream; POST /bots/${botId}/container/exec/stream gives all of it]\n`,
  );
}

/** A bot's container as the routes answer it (view below). */
const containerSchema = z
  .object({
    bot_id: z.string(),
    container_id: z.string(),
    image: z.string(),
    /** "missing": the backend has no container for the bot. */
    status: z.enum([...CONTAINER_STATUSES, "missing"]),
    task_running: z.boolean(),
    pid: z.number().nullable(),
    usage: z.object({ memory_bytes: z.number().nullable(), processes: z.number().nullable() }).nullable(),
    created_at: timestamp.nullable(),
    updated_at: timestamp.nullable(),
    last_started_at: timestamp.nullable(),
    last_stopped_at: timestamp.nullable(),
  })
  .meta({ id: "Container" });

const execResultSchema = z
  .object({
    stdout: z.string(),
    stderr: z.string(),
    exit_code: z.number(),
    /** Present, true, when the middle of a stream was cut (EXEC_OUTPUT_KEEP_BYTES). */
    truncated: z.boolean().optional(),
    stdout_dropped_bytes: z.number().optional(),
    stderr_dropped_bytes: z.number().optional(),
  })
  .meta({ id: "ExecResult" });

function view(state: ContainerState) {
  return {
    bot_id: state.botId,
    container_id: state.containerId,
    image: state.image,
    status: state.status,
    task_running: state.taskRunning,
    pid: state.pid ?? null,
    /** Null where the backend does not count it (docs/server.md, "Routes"). */
    usage: state.usage
      ? { memory_bytes: state.usage.memoryBytes ?? null, processes: state.usage.processes ?? null }
      : null,
    created_at: state.record?.createdAt ?? null,
    updated_at: state.record?.updatedAt ?? null,
    last_started_at: state.record?.lastStartedAt ?? null,
    last_stopped_at: state.record?.lastStoppedAt ?? null,
  };
}

/** Lifecycle events as the HTTP layer needs them; the store implements it. */
export type EventLog = (
  containerId: string,
  limit: number,
) => Promise<{ eventType: string; payload: Record<string, unknown>; createdAt: Date }[]>;

export function containerRoutes(app: FastifyInstance, routes: AnyRoute[], manager: BotManager, events: EventLog): void {
  // POST /container and POST /container/start do the same: create if need be, start, answer the state.
  const start = async (botId: string, log: FastifyBaseLogger) => view(await startAndSweep(manager, botId, log));
  // The two exec routes start a command alike and differ in how they answer.
  const startExec = async (botId: string, body: z.infer<typeof execBody>) =>
    (await manager.agentFor(botId)).execStream(body.command, {
      workDir: body.work_dir,
      env: body.env,
      timeoutSeconds: body.timeout,
      stdin: body.stdin,
    });
  addRoute(app, routes, {
    method: "GET",
    url: "/bots/:bot_id/container/events",
    summary: "The container's lifecycle events, newest first",
    params: botParams,
    query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
    response: z
      .object({
        events: z.array(
          z.object({ type: z.string(), payload: z.record(z.string(), z.unknown()), created_at: timestamp }),
        ),
      })
      .meta({ id: "ContainerEvents" }),
    handler: async ({ params, query }) => ({
      events: (await events(containerIdFor(params.bot_id), query.limit)).map((event) => ({
        type: event.eventType,
        payload: event.payload,
        created_at: event.createdAt,
      })),
    }),
  });
  addRoute(app, routes, {
    method: "POST",
    url: "/bots/:bot_id/container",
    summary: "Create the bot's container and start it; fails (not 200) when the start fails",
    params: botParams,
    status: 201,
    response: containerSchema,
    handler: ({ params }, request) => start(params.bot_id, request.log),
  });
  addRoute(app, routes, {
    method: "GET",
    url: "/bots/:bot_id/container",
    summary: "The container's state",
    params: botParams,
    response: containerSchema,
    handler: async ({ params }) => {
      return view(await manager.state(params.bot_id));
    },
  });
  addRoute(app, routes, {
    method: "DELETE",
    url: "/bots/:bot_id/container",
    summary: "Stop and delete the container; ?keep_data=true keeps /data",
    params: botParams,
    query: z.object({ keep_data: z.enum(["true", "false"]).default("false") }),
    status: 204,
    response: { kind: "no-content", description: "stopped and deleted" },
    handler: async ({ params, query }, _request, reply) => {
      await manager.deleteContainer(params.bot_id, { keepData: query.keep_data === "true" });
      return reply.status(204).send();
    },
  });
  addRoute(app, routes, {
    method: "POST",
    url: "/bots/:bot_id/container/start",
    summary: "Start the task and wait for the bot's agent to answer",
    params: botParams,
    response: containerSchema,
    handler: ({ params }, request) => start(params.bot_id, request.log),
  });
  addRoute(app, routes, {
    method: "POST",
    url: "/bots/:bot_id/container/stop",
    summary: "Stop the task (SIGTERM, then SIGKILL after timeout seconds)",
    params: botParams,
    body: z
      .object({ timeout: z.number().int().min(0).max(300).default(10) })
      .strict()
      .default({ timeout: 10 }),
    response: containerSchema,
    handler: async ({ params, body }) => {
      return view(await manager.stop(params.bot_id, body.timeout * 1000));
    },
  });
  addRoute(app, routes, {
    method: "POST",
    url: "/bots/:bot_id/container/exec",
    summary:
      "Run a command in the bot's workspace and return its output: at most the first and last 512 KiB of each stream (exec/stream gives all of it)",
    params: botParams,
    body: execBody,
    response: execResultSchema,
    handler: async ({ params, body }) => {
      const handle = await startExec(params.bot_id, body);
      const half = EXEC_OUTPUT_KEEP_BYTES / 2;
      const { stdout, stderr, exitCode } = await collectBounded(handle, undefined, {
        headBytes: half,
        tailBytes: half,
      });
      const answer = {
        stdout: keptOutput(stdout, "stdout", params.bot_id),
        stderr: keptOutput(stderr, "stderr", params.bot_id),
        exit_code: exitCode,
      };
      // Only a cut answer carries the extra fields: a whole one keeps the original's shape.
      if (stdout.droppedBytes === 0 && stderr.droppedBytes === 0) return answer;
      return {
        ...answer,
        truncated: true,
        stdout_dropped_bytes: stdout.droppedBytes,
        stderr_dropped_bytes: stderr.droppedBytes,
      };
    },
  });
  addRoute(app, routes, {
    method: "POST",
    url: "/bots/:bot_id/container/exec/stream",
    summary: "Run a command and stream its output as NDJSON lines as it comes",
    params: botParams,
    body: execBody,
    response: {
      kind: "ndjson",
      description:
        'one JSON object a line: {"type":"stdout"|"stderr","data":text}, then {"type":"exit","exit_code":n} (or {"type":"error","message":text})',
      items: execStreamEventSchema,
    },
    handler: async ({ params, body }, request, reply) => {
      const handle = await startExec(params.bot_id, body);
      handle.closeStdin();
      // The client went away: stop the command instead of letting it run on.
      request.raw.once("close", () => {
        if (!reply.raw.writableEnded) handle.cancel();
      });
      // From here on the response is ours, written as the output comes.
      reply.hijack();
      reply.raw.writeHead(200, { "content-type": "application/x-ndjson" });
      // Decoders keep a multi-byte character split across chunks whole.
      const decoders = { stdout: new StringDecoder("utf8"), stderr: new StringDecoder("utf8") };
      try {
        for await (const event of handle) {
          const line =
            event.type === "exit"
              ? { type: "exit", exit_code: event.exitCode }
              : { type: event.type, data: decoders[event.type].write(event.data) };
          reply.raw.write(`${JSON.stringify(line)}\n`);
        }
      } catch (error) {
        reply.raw.write(`${JSON.stringify({ type: "error", message: (error as Error).message })}\n`);
      }
      reply.raw.end();
    },
  });
}
