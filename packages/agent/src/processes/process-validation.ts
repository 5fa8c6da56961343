import { constants } from "node:os";

import { invalidArgument } from "../rpc-error.js";
import type { PtySize } from "./process-record.js";

export const MAX_INPUT_BYTES = 2 ** 20;
export const MAX_WAIT_MS = 600_000;
const MAX_PTY_SIDE = 1000;
const TAG = /^[A-Za-z0-9_.-]{1,64}$/;

export function checkedTag(tag: string): string {
  if (!TAG.test(tag)) throw invalidArgument(`tag must be 1 to 64 of [A-Za-z0-9_.-], got ${JSON.stringify(tag)}`);
  return tag;
}

/** "TERM", "SIGTERM" or "sigterm" to "SIGTERM"; anything else is refused by name. */
export function checkedSignal(name: string): NodeJS.Signals {
  const upper = name.trim().toUpperCase();
  const full = upper.startsWith("SIG") ? upper : `SIG${upper}`;
  if (!(full in constants.signals) || full === "SIG")
    throw invalidArgument(`signal ${JSON.stringify(name)} is not a signal name such as SIGTERM or KILL`);
  return full as NodeJS.Signals;
}

export function checkedSize(field: string, size: PtySize | undefined): PtySize {
  if (!size) throw invalidArgument(`${field} is required`);
  for (const side of ["cols", "rows"] as const) {
    const value = size[side];
    if (!Number.isInteger(value) || value < 1 || value > MAX_PTY_SIDE)
      throw invalidArgument(`${field}.${side} must be from 1 to ${MAX_PTY_SIDE}, got ${value}`);
  }
  return { cols: size.cols, rows: size.rows };
}
