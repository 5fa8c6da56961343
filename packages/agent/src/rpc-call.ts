import { timingSafeEqual } from "node:crypto";
import type { Readable } from "node:stream";

import {
  type handleBidiStreamingCall,
  type handleClientStreamingCall,
  type handleServerStreamingCall,
  type handleUnaryCall,
  type Metadata,
  type sendUnaryData,
  type ServerDuplexStream,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  status,
} from "@grpc/grpc-js";
import type { Logger } from "pino";

import { RpcError } from "./rpc-error.js";

/** What a handler tells the per-call log line beyond method, duration and code. */
export interface CallLog {
  path?: string;
}

export interface CallPolicy {
  logger: Logger;
  /** When set, every call must carry `authorization: Bearer <token>`. */
  token?: string;
}

interface StatusLike {
  code: status;
  details: string;
}

const cancelledStatus: StatusLike = { code: status.CANCELLED, details: "cancelled" };

function toStatus(error: unknown, logger: Logger, method: string): StatusLike {
  if (error instanceof RpcError) return { code: error.code, details: error.message };
  logger.error({ method, err: error }, "unexpected handler failure");
  return { code: status.INTERNAL, details: error instanceof Error ? error.message : String(error) };
}

function checkToken(policy: CallPolicy, metadata: Metadata): StatusLike | undefined {
  if (policy.token === undefined) return undefined;
  const presented = metadata.get("authorization")[0];
  const expected = Buffer.from(`Bearer ${policy.token}`);
  const actual = Buffer.from(typeof presented === "string" ? presented : "");
  if (actual.length === expected.length && timingSafeEqual(actual, expected)) return undefined;
  return { code: status.UNAUTHENTICATED, details: "missing or invalid bearer token" };
}

function logCall(policy: CallPolicy, method: string, started: bigint, log: CallLog, code: status): void {
  const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
  const line = { method, path: log.path, durationMs: Math.round(durationMs * 1000) / 1000, code: status[code] };
  if (code === status.OK || code === status.CANCELLED) policy.logger.info(line, "call");
  else policy.logger.warn(line, "call");
}

export function unary<Req, Res>(
  policy: CallPolicy,
  method: string,
  pathOf: (request: Req) => string | undefined,
  handle: (request: Req) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback) =>
    answer(policy, method, call, { path: pathOf(call.request) }, () => handle(call.request), callback);
}

export function clientStream<Req, Res>(
  policy: CallPolicy,
  method: string,
  handle: (call: ServerReadableStream<Req, Res>, log: CallLog) => Promise<Res>,
): handleClientStreamingCall<Req, Res> {
  return (call, callback) => {
    const log: CallLog = {};
    answer(policy, method, call, log, () => handle(call, log), callback);
  };
}

/** Calls that end with one response: check the token, run, log, answer. */
function answer<Res>(
  policy: CallPolicy,
  method: string,
  call: { metadata: Metadata; cancelled: boolean },
  log: CallLog,
  work: () => Promise<Res>,
  callback: sendUnaryData<Res>,
): void {
  const started = process.hrtime.bigint();
  const denied = checkToken(policy, call.metadata);
  if (denied) {
    logCall(policy, method, started, log, denied.code);
    callback(denied);
    return;
  }
  work().then(
    (response) => {
      logCall(policy, method, started, log, status.OK);
      callback(null, response);
    },
    (error: unknown) => {
      const failure = call.cancelled ? cancelledStatus : toStatus(error, policy.logger, method);
      logCall(policy, method, started, log, failure.code);
      callback(failure);
    },
  );
}

export function serverStream<Req, Res>(
  policy: CallPolicy,
  method: string,
  handle: (call: ServerWritableStream<Req, Res>, log: CallLog) => Promise<void>,
): handleServerStreamingCall<Req, Res> {
  return (call) => runOutputStream(policy, method, call, handle);
}

export function bidiStream<Req, Res>(
  policy: CallPolicy,
  method: string,
  handle: (call: ServerDuplexStream<Req, Res>, log: CallLog) => Promise<void>,
): handleBidiStreamingCall<Req, Res> {
  return (call) => runOutputStream(policy, method, call, handle);
}

/** Server- and bidi-streaming calls: the handler writes; this ends the call with its status. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any request and response type
function runOutputStream<Call extends ServerWritableStream<any, any> | ServerDuplexStream<any, any>>(
  policy: CallPolicy,
  method: string,
  call: Call,
  handle: (call: Call, log: CallLog) => Promise<void>,
): void {
  const started = process.hrtime.bigint();
  const log: CallLog = {};
  const denied = checkToken(policy, call.metadata);
  if (denied) {
    logCall(policy, method, started, log, denied.code);
    call.emit("error", denied);
    return;
  }
  handle(call, log).then(
    () => {
      logCall(policy, method, started, log, call.cancelled ? status.CANCELLED : status.OK);
      call.end();
    },
    (error: unknown) => {
      const failure = call.cancelled ? cancelledStatus : toStatus(error, policy.logger, method);
      logCall(policy, method, started, log, failure.code);
      call.emit("error", failure);
    },
  );
}

/**
 * The messages of a client stream as an async iterable that fails when the
 * client cancels or disconnects, instead of waiting forever for an end that
 * never comes.
 */
export function cancellableMessages<T>(
  call: Readable & { cancelled: boolean; on(event: "cancelled", listener: () => void): unknown },
): AsyncIterable<T> {
  const onCancel = () => call.destroy(new RpcError(status.CANCELLED, "cancelled by the client"));
  if (call.cancelled) onCancel();
  else call.on("cancelled", onCancel);
  return call as AsyncIterable<T>;
}
