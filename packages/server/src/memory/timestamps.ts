import { trimSpace } from "./whitespace.js";

/** A point in time as whole seconds since the Unix epoch plus nanoseconds, so RFC 3339 fractions keep their order. */
export interface Instant {
  seconds: number;
  nanos: number;
}

/** Go's zero time: what an unparseable timestamp sorts as (before everything else). */
export const ZERO_INSTANT: Instant = { seconds: -Infinity, nanos: 0 };

// Go's time.Parse accepts a fraction after the seconds (with "." or ",") even
// when the layout has none, so RFC3339 and RFC3339Nano read the same inputs.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

const pad = (value: number, width = 2) => String(value).padStart(width, "0");

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function validDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

function instantOf(parts: (string | undefined)[], offset: string | undefined): Instant | undefined {
  const [year, month, day, hour, minute, second] = parts.slice(0, 6).map(Number) as number[];
  if (!validDate(year!, month!, day!) || hour! > 23 || minute! > 59 || second! > 59) return undefined;
  let offsetSeconds = 0;
  if (offset && offset !== "Z") {
    const hours = Number(offset.slice(1, 3));
    const minutes = Number(offset.slice(4, 6));
    if (hours > 23 || minutes > 59) return undefined;
    offsetSeconds = (offset[0] === "-" ? -1 : 1) * (hours * 3600 + minutes * 60);
  }
  // Go reads at most nine fraction digits and ignores the rest.
  const nanos = Number((parts[6] ?? "").slice(0, 9).padEnd(9, "0"));
  const seconds = daysFromCivil(year!, month!, day!) * 86400 + hour! * 3600 + minute! * 60 + second! - offsetSeconds;
  return { seconds, nanos };
}

/** RFC 3339 (with or without a fraction), as the original's memoryTime reads created_at and updated_at. */
export function parseRfc3339(raw: string): Instant | undefined {
  const match = RFC3339.exec(trimSpace(raw));
  return match ? instantOf(match.slice(1, 8), match[8]) : undefined;
}

/** Orders instants; undefined is the zero time. */
export function compareInstants(a: Instant | undefined, b: Instant | undefined): number {
  const left = a ?? ZERO_INSTANT;
  const right = b ?? ZERO_INSTANT;
  if (left.seconds !== right.seconds) return left.seconds < right.seconds ? -1 : 1;
  return left.nanos - right.nanos;
}

/** The sort time of an item: created_at, else updated_at, in RFC 3339; else the zero time. */
export function memoryTime(item: { createdAt: string; updatedAt: string }): Instant {
  return parseRfc3339(item.createdAt) ?? parseRfc3339(item.updatedAt) ?? ZERO_INSTANT;
}

export function formatUtcDate(instant: Instant): string {
  const { year, month, day } = civilFromDays(Math.floor(instant.seconds / 86400));
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
}

/** Go's `time.RFC3339` of a UTC time: second precision, "Z". How the runtime stamps memories. */
export function formatRfc3339(date: Date): string {
  const seconds = Math.floor(date.getTime() / 1000);
  const day = formatUtcDate({ seconds, nanos: 0 });
  const inDay = ((seconds % 86400) + 86400) % 86400;
  return `${day}T${pad(Math.floor(inDay / 3600))}:${pad(Math.floor(inDay / 60) % 60)}:${pad(inDay % 60)}Z`;
}

/**
 * The UTC date of a timestamp, trying RFC3339Nano/RFC3339,
 * `YYYY-MM-DD HH:MM:SS` (UTC), `YYYY-MM-DD`, then the first 10 characters as
 * a date. Undefined when none of them reads it.
 */
export function parseMemoryDate(raw: string): string | undefined {
  const value = trimSpace(raw);
  if (value === "") return undefined;
  const instant = parseRfc3339(value) ?? dateTimeOf(value);
  if (instant) return formatUtcDate(instant);
  // The `YYYY-MM-DD` layout, then the first 10 characters as one.
  const date = DATE.exec(value.slice(0, 10));
  if (date && validDate(Number(date[1]), Number(date[2]), Number(date[3]))) return date[0];
  return undefined;
}

function dateTimeOf(value: string): Instant | undefined {
  const match = DATE_TIME.exec(value);
  return match ? instantOf(match.slice(1, 8), undefined) : undefined;
}

/** Today's UTC date: what an empty or unparseable timestamp files under. */
export function todayOf(now: Date): string {
  return formatRfc3339(now).slice(0, 10);
}

/**
 * The day file an item belongs in: the date of created_at, else of
 * updated_at, else today (UTC). The original tried only created_at (its
 * fallback to today made the updated_at branch unreachable).
 */
export function memoryDate(item: { createdAt: string; updatedAt: string }, now: Date): string {
  return parseMemoryDate(item.createdAt) ?? parseMemoryDate(item.updatedAt) ?? todayOf(now);
}
