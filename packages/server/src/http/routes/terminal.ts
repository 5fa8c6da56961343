import type { IncomingMessage } from "node:http";
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";

import type { FastifyInstance } from "fastify";
import { WebSocketServer } from "ws";
import { z } from "zod";

import { BotboxError, NotFoundError, UnauthenticatedError } from "../../errors.js";
import { PROCESS_ID_PATTERN, type WorkspaceProcesses } from "../../processes/index.js";
import {
  bridgeTerminal,
  DEFAULT_SIZE,
  findTerminal,
  parseTerminalQuery,
  startTerminal,
  type TerminalQuery,
  type TerminalTickets,
  type TicketTarget,
} from "../../terminal/index.js";
import { errorSchema } from "../api-schemas.js";
import { type Principal, requirePrincipalFor } from "../auth.js";
import { errorResponse } from "../error-status.js";
import { botParams } from "../params.js";
import { addRoute, type AnyRoute, parse } from "../route.js";
import type { BotDirectory } from "./bots.js";

const TERMINAL_PATH = /^\/bots\/([^/?]+)\/terminal(?:\?|$)/;
/** The port proxy's upgrade paths (routes/ports.ts answers those itself). */
const PORT_UPGRADE_PATH = /^\/bots\/[^/?]+\/ports\//;
/** One WebSocket message at most: the agent takes at most 1 MiB of input a call. */
const MAX_MESSAGE_BYTES = 2 ** 20;

export interface TerminalRouteOptions {
  processes: WorkspaceProcesses;
  tickets: TerminalTickets;
  bots: Pick<BotDirectory, "getBot">;
  /** Checks a bearer header, for upgrades (which Fastify's hooks never see). */
  authenticate: (header: string | undefined) => Promise<Principal>;
}

/**
 * `GET /bots/:bot_id/terminal`: a WebSocket onto a PTY process in the bot
 * (docs/processes.md, "Terminals"), and `POST .../terminal/tickets`, which
 * gives a browser a one-time ticket to open it with.
 */
export function terminalRoutes(app: FastifyInstance, routes: AnyRoute[], options: TerminalRouteOptions): void {
  addRoute(app, routes, {
    method: "POST",
    url: "/bots/:bot_id/terminal/tickets",
    summary: "A one-time ticket (60 s) that opens the bot's terminal WebSocket without a token",
    params: botParams,
    body: z
      .object({
        session: z
          .string()
          .regex(PROCESS_ID_PATTERN, "session must be a process id (12 hex digits)")
          .optional()
          .describe("re-attach to this session; absent: a new one"),
      })
      .strict()
      .default({}),
    status: 201,
    response: z
      .object({ ticket: z.string(), url: z.string(), path: z.string(), expires_at: z.iso.datetime() })
      .meta({ id: "TerminalTicket" }),
    handler: async ({ params, body }, request) => {
      const target: TicketTarget = body.session === undefined ? { kind: "new" } : { kind: "session", id: body.session };
      const { ticket, expiresAt } = options.tickets.issue(params.bot_id, target);
      const query = new URLSearchParams({ ticket, ...(body.session === undefined ? {} : { session: body.session }) });
      const path = `/bots/${encodeURIComponent(params.bot_id)}/terminal?${query}`;
      return {
        ticket,
        url: `${request.protocol === "https" ? "wss" : "ws"}://${request.host}${path}`,
        path,
        expires_at: expiresAt.toISOString(),
      };
    },
  });

  // Only WebSocket upgrades reach the terminal; a plain GET learns how to open it.
  addRoute(app, routes, {
    method: "GET",
    url: "/bots/:bot_id/terminal",
    summary: "The bot's terminal: a WebSocket (binary frames: terminal bytes; text frames: JSON control)",
    params: botParams,
    response: { kind: "websocket", description: "the terminal's WebSocket (docs/processes.md, Terminals)" },
    // A plain GET, not an upgrade, is told how to open it (426, code upgrade_required).
    errorBody: z.union([
      errorSchema,
      z.object({ error: z.object({ code: z.literal("upgrade_required"), message: z.string() }) }),
    ]),
    handler: async (_input, _request, reply) =>
      reply
        .status(426)
        .header("upgrade", "websocket")
        .send({
          error: {
            code: "upgrade_required",
            message: "the terminal is a WebSocket: connect with Upgrade: websocket (docs/processes.md, Terminals)",
          },
        }),
  });

  const server = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false });
  app.server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = request.url ?? "/";
    const match = TERMINAL_PATH.exec(url);
    if (!match) {
      // Neither ours nor the port proxy's: answer rather than leave the client waiting.
      if (!PORT_UPGRADE_PATH.test(url)) refuse(socket, new NotFoundError(`no upgrade route ${url}`));
      return;
    }
    openTerminal(options, server, request, socket, head, match[1]!).catch((error: unknown) =>
      refuse(socket, error, app.log),
    );
  });
}

/**
 * Checks everything before the upgrade, so that a refused client gets an
 * HTTP status and no process starts: the query, then access (a ticket, or
 * a bearer token that may act for the bot), then the bot and its process.
 */
async function openTerminal(
  options: TerminalRouteOptions,
  server: WebSocketServer,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  rawBotId: string,
): Promise<void> {
  const { bot_id: botId } = parse(botParams, { bot_id: decodeURIComponent(rawBotId) }, "params");
  const query = parseTerminalQuery(request.url ?? "");
  await checkAccess(options, request, botId, query);
  if ((await options.bots.getBot(botId)) === undefined) throw new NotFoundError(`bot ${botId} not found`);
  const client = await options.processes.processClient(botId);
  const size =
    query.cols === undefined && query.rows === undefined
      ? undefined
      : { cols: query.cols ?? DEFAULT_SIZE.cols, rows: query.rows ?? DEFAULT_SIZE.rows };
  const target =
    query.session === undefined
      ? await startTerminal(client, { size: size ?? DEFAULT_SIZE, command: query.command, cwd: query.cwd })
      : await findTerminal(client, query.session, size);
  if (socket.destroyed) return; // The client left while the process started; it keeps running.
  server.handleUpgrade(request, socket, head, (webSocket) => void bridgeTerminal(client, webSocket, target));
}

/** A ticket, when given, must be good (even beside a token); else the bearer token must reach the bot. */
async function checkAccess(
  options: TerminalRouteOptions,
  request: IncomingMessage,
  botId: string,
  query: TerminalQuery,
): Promise<void> {
  if (query.ticket !== undefined) {
    const target: TicketTarget = query.session === undefined ? { kind: "new" } : { kind: "session", id: query.session };
    options.tickets.redeem(query.ticket, botId, target);
    return;
  }
  const header = request.headers.authorization;
  if (header === undefined)
    throw new UnauthenticatedError(
      "the terminal needs a bearer token or a ticket (POST /bots/:bot_id/terminal/tickets gives one)",
    );
  requirePrincipalFor(await options.authenticate(header), botId);
}

/** An error answered on the raw socket before the upgrade, in the API's JSON shape. */
function refuse(socket: Duplex, error: unknown, log?: FastifyInstance["log"]): void {
  if (socket.destroyed) return;
  const { status, body } = errorResponse(error);
  if (status >= 500 && !(error instanceof BotboxError)) log?.error({ err: error }, "terminal upgrade failed");
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
  );
}
