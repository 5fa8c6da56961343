// ReadFile, the paged text read built for LLMs,
// against the real bundled agent.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import type { AgentProcess } from "../support/agent-process.js";
import { stopAgentWithClient } from "../support/agent-with-client.js";
import { formatLine, type RawAgentClient, rejectsWithCode, sharedAgentWithRawClient, status } from "./support.js";

const lines = (count: number, text: (n: number) => string) =>
  Array.from({ length: count }, (_, i) => `${text(i + 1)}\n`).join("");

/** The numbers of the lines a ReadFile content holds, in order. */
const lineNumbers = (content: string) =>
  content
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => Number(line.slice(0, line.indexOf("\t"))));

describe("ReadFile", { timeout: 30_000 }, () => {
  let agent: AgentProcess;
  let client: RawAgentClient;
  const put = (name: string, content: string | Buffer) => writeFileSync(path.join(agent.dataDir, name), content);

  before(async () => {
    ({ agent, client } = await sharedAgentWithRawClient({ transport: "unix" }));
    put("three.txt", "alpha\nbeta\nfoo\n");
    put(
      "250.txt",
      lines(250, (n) => `line ${n}`),
    );
  });

  after(() => stopAgentWithClient({ agent, client }));

  it("formats each line as a width-6 right-aligned number, a TAB, the text and a newline", async () => {
    const one = await client.readFile({ path: "three.txt", lineOffset: 3, nLines: 1 });
    assert.deepEqual(one, { content: "     3\tfoo\n", totalLines: 3, binary: false });
    const all = await client.readFile({ path: "three.txt" });
    assert.equal(all.content, "     1\talpha\n     2\tbeta\n     3\tfoo\n");
  });

  it("prints line numbers wider than six digits in full", async () => {
    put("million.txt", "x\n".repeat(1_000_001));
    const page = await client.readFile({ path: "million.txt", lineOffset: 999_999, nLines: 3 });
    assert.equal(page.content, "999999\tx\n1000000\tx\n1000001\tx\n");
    assert.equal(page.totalLines, 1_000_001);
  });

  it("treats a line offset below 1 as 1", async () => {
    for (const lineOffset of [0, -7]) {
      const page = await client.readFile({ path: "250.txt", lineOffset, nLines: 2 });
      assert.equal(page.content, formatLine(1, "line 1") + formatLine(2, "line 2"), `lineOffset ${lineOffset}`);
    }
  });

  it("treats a line count below 1 or above 200 as 200", async () => {
    for (const nLines of [0, -1, 201, 100_000]) {
      const page = await client.readFile({ path: "250.txt", nLines });
      const numbers = lineNumbers(page.content);
      assert.equal(numbers.length, 200, `nLines ${nLines}`);
      assert.equal(numbers[0], 1);
      assert.equal(numbers.at(-1), 200);
    }
    assert.equal(lineNumbers((await client.readFile({ path: "250.txt", nLines: 200 })).content).length, 200);
    assert.deepEqual(
      lineNumbers((await client.readFile({ path: "250.txt", lineOffset: 10, nLines: 3 })).content),
      [10, 11, 12],
    );
  });

  it("counts the whole file in total_lines, not just the page", async () => {
    const page = await client.readFile({ path: "250.txt", lineOffset: 5, nLines: 2 });
    assert.equal(page.totalLines, 250);
    assert.equal(page.content, formatLine(5, "line 5") + formatLine(6, "line 6"));
  });

  it("gives empty content and the real total for an offset past the end", async () => {
    for (const lineOffset of [251, 10_000]) {
      assert.deepEqual(await client.readFile({ path: "250.txt", lineOffset }), {
        content: "",
        totalLines: 250,
        binary: false,
      });
    }
    assert.equal((await client.readFile({ path: "250.txt", lineOffset: 250 })).content, formatLine(250, "line 250"));
  });

  it("stops collecting before the output would exceed 5120 bytes", async () => {
    const text = "x".repeat(100);
    put(
      "wide.txt",
      lines(100, () => text),
    );
    const page = await client.readFile({ path: "wide.txt" });
    const size = Buffer.byteLength(page.content);
    assert.ok(size <= 5120, `output is ${size} bytes`);
    const numbers = lineNumbers(page.content);
    assert.equal(numbers.length, 47);
    assert.ok(size + Buffer.byteLength(formatLine(numbers.length + 1, text)) > 5120, "the next line would have fitted");
    assert.equal(page.totalLines, 100);
    // The budget applies to the page, wherever it starts.
    assert.deepEqual(
      lineNumbers((await client.readFile({ path: "wide.txt", lineOffset: 60 })).content),
      range(60, 100),
    );
  });

  it("fills the output up to exactly 5120 bytes", async () => {
    // Each formatted line is 6 + 1 + 120 + 1 = 128 bytes; 40 of them are 5120.
    put(
      "exact.txt",
      lines(41, () => "y".repeat(120)),
    );
    const page = await client.readFile({ path: "exact.txt" });
    assert.equal(Buffer.byteLength(page.content), 5120);
    assert.equal(lineNumbers(page.content).length, 40);
  });

  it("counts the output budget in UTF-8 bytes, not characters", async () => {
    // 100 "é" are 200 bytes: a formatted line is 208 bytes, so 24 fit (4992).
    put(
      "accents.txt",
      lines(50, () => "é".repeat(100)),
    );
    const page = await client.readFile({ path: "accents.txt" });
    assert.equal(lineNumbers(page.content).length, 24);
    assert.equal(Buffer.byteLength(page.content), 24 * 208);
  });

  it("cuts a line over 1000 runes to exactly 1000 runes followed by ...", async () => {
    const cases: [string, string][] = [
      ["a".repeat(1500), "a".repeat(1000)],
      ["é".repeat(1001), "é".repeat(1000)],
      ["😀".repeat(1200), "😀".repeat(1000)],
      ["b".repeat(999) + "😀😀", "b".repeat(999) + "😀"],
    ];
    put("long.txt", cases.map(([line]) => `${line}\n`).join(""));
    for (const [index, [, expected]] of cases.entries()) {
      const page = await client.readFile({ path: "long.txt", lineOffset: index + 1, nLines: 1 });
      assert.equal(page.content, formatLine(index + 1, `${expected}...`), `line ${index + 1}`);
      assert.equal(Array.from(page.content.slice(7, -4)).length, 1000);
    }
  });

  it("does not cut a line of exactly 1000 runes", async () => {
    const exact = ["c".repeat(1000), "é".repeat(1000), "😀".repeat(1000), "😀".repeat(1000)];
    // The last one ends in CRLF: the CR is not a rune of the line.
    put("exact-runes.txt", exact.map((line, i) => `${line}${i === 3 ? "\r\n" : "\n"}`).join(""));
    for (const [index, line] of exact.entries()) {
      const page = await client.readFile({ path: "exact-runes.txt", lineOffset: index + 1, nLines: 1 });
      assert.equal(page.content, formatLine(index + 1, line), `line ${index + 1}`);
    }
  });

  it("cuts a line longer than 1 MiB and still counts the lines after it", async () => {
    put("huge-line.txt", `first\n${"h".repeat(2 * 1024 * 1024)}\nthird\nfourth\n`);
    const page = await client.readFile({ path: "huge-line.txt" });
    assert.equal(page.totalLines, 4);
    assert.equal(
      page.content,
      formatLine(1, "first") +
        formatLine(2, `${"h".repeat(1000)}...`) +
        formatLine(3, "third") +
        formatLine(4, "fourth"),
    );
  });

  it("drops the CR of CRLF line endings but keeps a CR inside a line", async () => {
    put("crlf.txt", "one\r\ntwo\r\nmid\rdle\n");
    const page = await client.readFile({ path: "crlf.txt" });
    assert.equal(page.content, formatLine(1, "one") + formatLine(2, "two") + formatLine(3, "mid\rdle"));
    assert.equal(page.totalLines, 3);
  });

  it("drops a CR whose LF falls in the next 64 KiB read", async () => {
    // Line 1 is 65529 bytes and its LF; "hello" then puts the CR at byte 65535.
    put("boundary.txt", `${"z".repeat(65_529)}\nhello\r\nworld\r\n`);
    const page = await client.readFile({ path: "boundary.txt", lineOffset: 2 });
    assert.equal(page.content, formatLine(2, "hello") + formatLine(3, "world"));
    assert.equal(page.totalLines, 3);
  });

  it("counts a final line without a newline", async () => {
    put("no-eol.txt", "a\nb");
    assert.deepEqual(await client.readFile({ path: "no-eol.txt" }), {
      content: formatLine(1, "a") + formatLine(2, "b"),
      totalLines: 2,
      binary: false,
    });
    put("blank-lines.txt", "\n\n");
    assert.deepEqual(await client.readFile({ path: "blank-lines.txt" }), {
      content: formatLine(1, "") + formatLine(2, ""),
      totalLines: 2,
      binary: false,
    });
    put("empty.txt", "");
    assert.deepEqual(await client.readFile({ path: "empty.txt" }), { content: "", totalLines: 0, binary: false });
  });

  it("reports binary with empty content and total 0 for a NUL byte within the first 8192 bytes", async () => {
    const late = Buffer.from(lines(2000, (n) => `text ${n}`));
    late[8191] = 0;
    put("nul-8191.bin", late);
    put("nul-0.bin", Buffer.from("\0abc\n"));
    for (const name of ["nul-8191.bin", "nul-0.bin"]) {
      assert.deepEqual(await client.readFile({ path: name }), { content: "", totalLines: 0, binary: true }, name);
    }
  });

  it("does not report binary for a NUL byte after the first 8192 bytes", async () => {
    const text = Buffer.from(lines(2000, (n) => `text ${n}`));
    text[8192] = 0;
    put("nul-8192.txt", text);
    const page = await client.readFile({ path: "nul-8192.txt", nLines: 1 });
    assert.equal(page.binary, false);
    assert.equal(page.totalLines, 2000);
    assert.equal(page.content, formatLine(1, "text 1"));
  });

  it("answers NOT_FOUND for a missing file", async () => {
    await rejectsWithCode(client.readFile({ path: "nope/missing.txt" }), status.NOT_FOUND, /no such file or directory/);
  });

  it('answers INVALID_ARGUMENT "path is required" for an empty path', async () => {
    await rejectsWithCode(client.readFile({ path: "" }), status.INVALID_ARGUMENT, "path is required");
  });

  it("gives empty content, total 0 and OK for a directory", async () => {
    mkdirSync(path.join(agent.dataDir, "a-dir"));
    assert.deepEqual(await client.readFile({ path: "a-dir" }), { content: "", totalLines: 0, binary: false });
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
