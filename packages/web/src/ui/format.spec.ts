import { describe, expect, it } from "vitest";

import { formatBytes, formatTime } from "./format";

describe("sizes as people read them", () => {
  it.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1536, "1.5 KiB"],
    [10 * 2 ** 20, "10 MiB"],
    [256 * 2 ** 20, "256 MiB"],
    [2 ** 50 * 3, "3072 TiB"],
  ])("%d bytes is %s", (bytes, text) => expect(formatBytes(bytes)).toBe(text));

  it("shows a dash for what is not known, never 0", () => {
    expect(formatBytes(null)).toBe("—");
    expect(formatBytes(undefined)).toBe("—");
  });

  it("shows a time the browser cannot read as it came, and a dash for none", () => {
    expect(formatTime("not a time")).toBe("not a time");
    expect(formatTime(null)).toBe("—");
    expect(formatTime("2026-12-06T03:00:00Z")).not.toBe("2026-12-06T03:00:00Z");
  });
});
