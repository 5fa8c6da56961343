import type { AttachEvent, AttachRequest } from "@botbox/proto";
import { type ServerWritableStream, status } from "@grpc/grpc-js";

import { invalidArgument, RpcError } from "../rpc-error.js";
import { FrameKind, FrameSplitter, jsonFrame, parseOutput } from "./frames.js";
import { connectKeeper, KeeperGone, replyError } from "./keeper-link.js";
import { OutputLogCursor } from "./output-log.js";
import { toProcessInfo } from "./process-info.js";
import type { ExitRecord } from "./process-record.js";
import type { KnownProcess, ProcessTable } from "./process-table.js";

type AttachCall = ServerWritableStream<AttachRequest, AttachEvent>;
type KeeperOutcome = { kind: "ended" } | { kind: "gone"; position: number };

/**
 * Replays a process's output from an offset, then follows it. A running
 * process is read through its keeper (its ring, or its log for a reader
 * behind it); a finished one straight from its log. A keeper that finishes
 * while this call reads from it hands over to the log where it stopped.
 */
export async function attach(
  found: KnownProcess,
  table: ProcessTable,
  call: AttachCall,
  stopping?: AbortSignal,
): Promise<void> {
  const { offset, follow } = call.request;
  if (!Number.isSafeInteger(offset) || offset < 0) throw invalidArgument(`offset must be 0 or more, got ${offset}`);
  let position = offset;
  if (found.state.status === "running") {
    try {
      const outcome = await followKeeper(found, position, follow, call, stopping);
      if (outcome.kind === "ended") return;
      position = outcome.position;
    } catch (error) {
      if (!(error instanceof KeeperGone)) throw error;
    }
    found = { ...found, state: await table.stateOf(found.dir) };
  }
  const end = found.state.status === "exited" ? found.state.exit.outputBytes : undefined;
  if (end !== undefined && position > end)
    throw invalidArgument(`offset ${position} is past the end of the output (${end} bytes)`);
  await replayLog(found.dir, position, call, end);
  if (found.state.status === "exited" && !call.cancelled)
    call.write({ event: { $case: "exited", value: toProcessInfo(found) } });
}

async function replayLog(dir: string, from: number, call: AttachCall, end: number | undefined): Promise<void> {
  const cursor = new OutputLogCursor(dir, from);
  try {
    while (!call.cancelled) {
      const piece = cursor.read();
      if (piece.kind === "end") {
        // Output the keeper could not write (a full disk) at the very end.
        if (end !== undefined && cursor.offset < end)
          call.write({ event: { $case: "dropped", value: { fromOffset: cursor.offset, toOffset: end } } });
        return;
      }
      const event: AttachEvent =
        piece.kind === "dropped"
          ? { event: { $case: "dropped", value: { fromOffset: piece.from, toOffset: piece.to } } }
          : { event: { $case: "output", value: { stream: piece.stream, offset: piece.offset, data: piece.data } } };
      if (!call.write(event)) await drainedOrCancelled(call);
    }
  } finally {
    cursor.close();
  }
}

function drainedOrCancelled(call: AttachCall): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off("drain", done);
      call.off("cancelled", done);
      resolve();
    };
    call.once("drain", done);
    call.once("cancelled", done);
  });
}

async function followKeeper(
  found: KnownProcess,
  offset: number,
  follow: boolean,
  call: AttachCall,
  stopping: AbortSignal | undefined,
): Promise<KeeperOutcome> {
  const socket = await connectKeeper(found.dir);
  socket.write(jsonFrame(FrameKind.Json, { op: "attach", offset, follow }));
  let position = offset;
  return new Promise<KeeperOutcome>((resolve, reject) => {
    const splitter = new FrameSplitter();
    let settled = false;
    const settle = (outcome: KeeperOutcome | Error) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      call.off("cancelled", onCancel);
      stopping?.removeEventListener("abort", onStop);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onCancel = () => settle({ kind: "ended" });
    call.on("cancelled", onCancel);
    // The process runs on; the caller attaches again, to the next agent, from where it was.
    const onStop = () =>
      settle(new RpcError(status.UNAVAILABLE, `the agent is stopping; attach again from offset ${position}`));
    if (stopping?.aborted) return onStop();
    stopping?.addEventListener("abort", onStop, { once: true });
    const send = (event: AttachEvent) => {
      if (call.write(event)) return;
      socket.pause();
      call.once("drain", () => socket.resume());
    };
    socket.on("data", (chunk: Buffer) => {
      try {
        for (const { kind, payload } of splitter.push(chunk)) {
          if (kind === FrameKind.Output) {
            const { stream, offset: at, data } = parseOutput(payload);
            send({ event: { $case: "output", value: { stream, offset: at, data } } });
            position = at + data.length;
          } else if (kind === FrameKind.Dropped) {
            const { from, to } = JSON.parse(payload.toString()) as { from: number; to: number };
            send({ event: { $case: "dropped", value: { fromOffset: from, toOffset: to } } });
            position = to;
          } else if (kind === FrameKind.Exit) {
            const exit = JSON.parse(payload.toString()) as ExitRecord;
            send({ event: { $case: "exited", value: toProcessInfo({ ...found, state: { status: "exited", exit } }) } });
            return settle({ kind: "ended" });
          } else if (kind === FrameKind.End) {
            return settle({ kind: "ended" });
          } else if (kind === FrameKind.Json) {
            return settle(replyError(JSON.parse(payload.toString())) ?? new RpcError(status.INTERNAL, "bad reply"));
          }
        }
      } catch (error) {
        settle(error as Error);
      }
    });
    socket.on("error", () => settle({ kind: "gone", position }));
    socket.on("close", () => settle({ kind: "gone", position }));
  });
}
