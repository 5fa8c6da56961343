/**
 * The terminal WebSocket's wire format (docs/processes.md, "Terminals"):
 * binary frames carry terminal bytes both ways; text frames carry JSON
 * control messages. Client to server: `{"type":"resize","cols":N,"rows":N}`.
 * Server to client: `{"type":"session",...}` first, `{"type":"exit",...}`
 * last, then close 1000.
 */
import { z } from "zod";

import type { ProcessView, TerminalSize } from "../client/index.js";
import { BadRequestError } from "../errors.js";
import { parse } from "../http/route.js";
import { PROCESS_ID_PATTERN } from "../processes/index.js";

/** The agent's bounds on a PTY's size (process-validation.ts in the agent). */
export const MIN_TERMINAL_SIDE = 1;
export const MAX_TERMINAL_SIDE = 1000;
export const DEFAULT_SIZE: TerminalSize = { cols: 80, rows: 24 };

/** Close code for a control message that breaks the protocol (RFC 6455: policy violation). */
export const CLOSE_PROTOCOL_ERROR = 1008;
export const CLOSE_NORMAL = 1000;
/** Close code when the bot's agent failed under a live session. */
export const CLOSE_SERVER_ERROR = 1011;

const side = (name: string) =>
  z.coerce
    .number({ error: `${name} must be a whole number from ${MIN_TERMINAL_SIDE} to ${MAX_TERMINAL_SIDE}` })
    .int(`${name} must be a whole number`)
    .min(MIN_TERMINAL_SIDE, `${name} must be at least ${MIN_TERMINAL_SIDE}`)
    .max(MAX_TERMINAL_SIDE, `${name} must be at most ${MAX_TERMINAL_SIDE}`);

export const terminalQuerySchema = z
  .object({
    session: z
      .string()
      .regex(PROCESS_ID_PATTERN, "session must be a process id (12 hex digits) from the session message")
      .optional(),
    cols: side("cols").optional(),
    rows: side("rows").optional(),
    command: z.string().min(1).max(16_384).optional(),
    cwd: z.string().min(1).max(4096).optional(),
    ticket: z.string().max(2048).optional(),
  })
  .strict()
  .refine((q) => q.session === undefined || (q.command === undefined && q.cwd === undefined), {
    message: "command and cwd start a new session; a re-attach (?session=) takes neither",
  });

export type TerminalQuery = z.infer<typeof terminalQuerySchema>;

/** The query of a terminal URL, checked; a 400 naming the wrong field otherwise. */
export function parseTerminalQuery(url: string): TerminalQuery {
  const search = new URLSearchParams(url.includes("?") ? url.slice(url.indexOf("?") + 1) : "");
  const raw: Record<string, string> = {};
  for (const [key, value] of search) {
    if (key in raw) throw new BadRequestError(`query.${key}: given more than once`);
    raw[key] = value;
  }
  return parse(terminalQuerySchema, raw, "query");
}

/**
 * The login shell of the bot's user: its passwd entry's shell, else bash,
 * else sh; `-l` so that it reads the profile as a terminal login would.
 * A shell line because which shells exist differs by image.
 */
export const LOGIN_SHELL =
  'shell=$(getent passwd "$(id -u)" 2>/dev/null | cut -d: -f7); ' +
  '[ -x "$shell" ] || shell=$(command -v bash || echo /bin/sh); exec "$shell" -l';

const resizeSchema = z.object({ type: z.literal("resize"), cols: side("cols"), rows: side("rows") }).strict();

export type ControlMessage = { type: "resize"; size: TerminalSize };

/**
 * A client's text frame: a resize, or a ProtocolError naming what is wrong
 * (the session closes with 1008 and that reason).
 */
export function parseControlMessage(text: string): ControlMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProtocolError("a text frame must be a JSON control message");
  }
  if (typeof value !== "object" || value === null || (value as { type?: unknown }).type !== "resize")
    throw new ProtocolError('the only control message is {"type":"resize","cols":N,"rows":N}');
  const { cols, rows } = value as { cols?: unknown; rows?: unknown };
  // JSON numbers only: "80" in a JSON message is a client bug, not a size.
  if (typeof cols !== "number" || typeof rows !== "number")
    throw new ProtocolError("resize: cols and rows must be JSON numbers");
  const result = resizeSchema.safeParse(value);
  if (!result.success) throw new ProtocolError(`resize: ${result.error.issues.map((i) => i.message).join("; ")}`);
  return { type: "resize", size: { cols: result.data.cols, rows: result.data.rows } };
}

export class ProtocolError extends Error {}

export function sessionMessage(process: ProcessView, replayedFrom: number): string {
  return JSON.stringify({
    type: "session",
    id: process.id,
    ...(process.pty ? { cols: process.pty.cols, rows: process.pty.rows } : {}),
    status: process.status,
    replayFrom: replayedFrom,
  });
}

export function exitMessage(process: ProcessView): string {
  return JSON.stringify({ type: "exit", exitCode: process.exitCode ?? null, signal: process.signal ?? null });
}

/** A close reason fits in a control frame (123 bytes of UTF-8). */
export function closeReason(text: string): string {
  const bytes = Buffer.from(text);
  return bytes.byteLength <= 123
    ? text
    : bytes
        .subarray(0, 120)
        .toString("utf8")
        .replace(/\uFFFD$/, "") + "...";
}
