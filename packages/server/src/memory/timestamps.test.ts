import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  compareInstants,
  formatRfc3339,
  memoryDate,
  memoryTime,
  parseMemoryDate,
  parseRfc3339,
  todayOf,
} from "./timestamps.js";

const NOW = new Date("2026-05-17T23:59:59.999Z");
const dated = (createdAt: string, updatedAt = "") => memoryDate({ createdAt, updatedAt }, NOW);

describe("memory dates", () => {
  it("reads each layout as a UTC date", () => {
    assert.equal(dated("2026-03-01T10:00:00.123456789Z"), "2026-03-01"); // RFC3339Nano
    assert.equal(dated("2026-03-01T10:00:00Z"), "2026-03-01"); // RFC3339
    assert.equal(dated("2026-03-01T23:30:00-05:00"), "2026-03-02"); // offsets become UTC
    assert.equal(dated("2026-03-01T01:30:00+02:00"), "2026-02-28");
    assert.equal(dated("2026-03-01 10:00:00"), "2026-03-01"); // YYYY-MM-DD HH:MM:SS
    assert.equal(dated("2026-03-01"), "2026-03-01"); // YYYY-MM-DD
    assert.equal(dated("2026-03-01 at noon"), "2026-03-01"); // the first 10 characters
    assert.equal(dated("  2026-03-01T10:00:00Z \n"), "2026-03-01"); // trimmed first
  });

  it("files an empty or unparseable value under today (UTC)", () => {
    assert.equal(todayOf(NOW), "2026-05-17");
    assert.equal(dated(""), "2026-05-17");
    assert.equal(dated("   "), "2026-05-17");
    assert.equal(dated("yesterday"), "2026-05-17");
    assert.equal(dated("2026-02-30"), "2026-05-17"); // no such day
    assert.equal(dated("2026-13-01T00:00:00Z"), "2026-05-17");
    assert.equal(dated("2026-3-1"), "2026-05-17");
  });

  it("uses updated_at when created_at gives no date", () => {
    assert.equal(dated("", "2026-01-02T03:04:05Z"), "2026-01-02");
    assert.equal(dated("garbage", "2026-01-02T03:04:05Z"), "2026-01-02");
    assert.equal(dated("2026-04-01T00:00:00Z", "2026-01-02T03:04:05Z"), "2026-04-01");
  });

  it("falls back to the first 10 characters when a longer layout has out-of-range fields", () => {
    assert.equal(parseMemoryDate("2026-03-01T25:00:00Z"), "2026-03-01");
    assert.equal(parseMemoryDate("2024-02-29 10:00:00"), "2024-02-29");
    assert.equal(parseMemoryDate("2023-02-29"), undefined);
  });
});

describe("memory times", () => {
  it("orders RFC 3339 times by instant, fractions and offsets included; anything else is the zero time", () => {
    const times = ["2026-03-01T10:00:00.000000002Z", "2026-03-01T10:00:00.000000001Z", "2026-03-01T11:00:00+01:00"];
    const parsed = times.map((time) => parseRfc3339(time));
    assert.ok(compareInstants(parsed[1], parsed[0]) < 0);
    assert.ok(compareInstants(parsed[2], parsed[1]) < 0);
    assert.equal(parseRfc3339("2026-03-01 10:00:00"), undefined);
    assert.equal(parseRfc3339("2026-03-01"), undefined);
    assert.ok(compareInstants(memoryTime({ createdAt: "x", updatedAt: "" }), parsed[2]) < 0);
    assert.deepEqual(memoryTime({ createdAt: "", updatedAt: times[0]! }), parsed[0]);
  });

  it("stamps times as Go's RFC3339 in UTC, second precision", () => {
    assert.equal(formatRfc3339(new Date("2026-03-01T10:00:00.999Z")), "2026-03-01T10:00:00Z");
    assert.equal(formatRfc3339(new Date("1969-12-31T23:59:59.5Z")), "1969-12-31T23:59:59Z");
  });
});
