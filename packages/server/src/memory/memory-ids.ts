import { trimSpace } from "./whitespace.js";

// Wall-clock nanoseconds from the monotonic clock: Date.now() has only
// millisecond resolution, and two adds in one millisecond must differ.
const EPOCH_OFFSET_NANOS = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
let lastNanos = 0n;

/** Unix time in nanoseconds, strictly increasing within this process. */
export function nextUnixNano(): bigint {
  let now = EPOCH_OFFSET_NANOS + process.hrtime.bigint();
  if (now <= lastNanos) now = lastNanos + 1n;
  lastNanos = now;
  return now;
}

/** `<botID>:mem_<unixnano>`, unique within this process. */
export function newMemoryId(botId: string): string {
  return `${botId}:mem_${nextUnixNano()}`;
}

/** The bot a memory ID belongs to: what precedes its first ":", or "" when there is none. */
export function botIdOfMemoryId(memoryId: string): string {
  const colon = memoryId.indexOf(":");
  return colon < 0 ? "" : trimSpace(memoryId.slice(0, colon));
}
