/* eslint-disable no-control-regex -- the terminal escape codes are what is tested */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { createProgress, formatBytes } from "./progress.js";

/** Stands in for a terminal: what a pty would show is what is written to it. */
function terminal(isTTY: boolean) {
  const writes: string[] = [];
  return { stream: { isTTY, write: (text: string) => writes.push(text) } as unknown as NodeJS.WriteStream, writes };
}

describe("transfer progress", () => {
  it("shows bytes, share, rate and ETA on a terminal, redrawn at most every 100 ms, and a final line", async () => {
    const { stream, writes } = terminal(true);
    const progress = createProgress("put blob.bin", 4 * 2 ** 20, stream);
    progress.add(2 ** 20);
    await sleep(110);
    progress.add(2 ** 20);
    progress.add(1);
    progress.done();
    assert.equal(writes.length, 3, JSON.stringify(writes));
    assert.match(
      writes[0]!,
      /^\r\x1b\[Kput blob\.bin {2}1\.0 MiB {2}of 4\.0 MiB \(25%\) {2}[\d.]+ (B|KiB|MiB|GiB)\/s {2}ETA \d\d:\d\d$/,
    );
    assert.match(writes[1]!, /2\.0 MiB {2}of 4\.0 MiB \(50%\)/);
    assert.match(writes[2]!, /\(50%\) {2}[\d.]+ \w+\/s\n$/);
    assert.doesNotMatch(writes[2]!, /ETA/);
  });

  it("shows no total or ETA when the size is unknown", () => {
    const { stream, writes } = terminal(true);
    const progress = createProgress("export b", undefined, stream);
    progress.add(5000);
    progress.done();
    assert.match(writes.at(-1)!, /^\r\x1b\[Kexport b {2}4\.9 KiB {2}[\d.]+ \w+\/s\n$/);
  });

  it("writes nothing when the stream is not a terminal", () => {
    const { stream, writes } = terminal(false);
    const progress = createProgress("get x", 10, stream);
    progress.add(10);
    progress.done();
    assert.deepEqual(writes, []);
  });

  it("formats sizes in binary units", () => {
    assert.deepEqual([0, 1023, 1024, 1536, 5 * 2 ** 30].map(formatBytes), [
      "0 B",
      "1023 B",
      "1.0 KiB",
      "1.5 KiB",
      "5.0 GiB",
    ]);
  });
});
