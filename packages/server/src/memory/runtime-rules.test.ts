import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { BadRequestError } from "../errors.js";
import { botIdOfMemoryId, newMemoryId, nextUnixNano } from "./memory-ids.js";
import { MAX_MEMORY_TEXT_BYTES, memoryHash, messagesText, normalizeMemoryText } from "./memory-text.js";
import { searchScore } from "./search-score.js";

describe("memory IDs", () => {
  it("are <botID>:mem_<unixnano>, strictly increasing even within one millisecond", () => {
    const ids = Array.from({ length: 1000 }, () => newMemoryId("bot-1"));
    assert.equal(new Set(ids).size, 1000);
    const nanos = ids.map((id) => BigInt(/^bot-1:mem_(\d+)$/.exec(id)![1]!));
    for (let i = 1; i < nanos.length; i++) assert.ok(nanos[i]! > nanos[i - 1]!);
    const wall = BigInt(Date.now()) * 1_000_000n;
    const now = nextUnixNano();
    assert.ok(now > wall - 1_000_000_000n && now < wall + 1_000_000_000n, "close to the wall clock");
  });

  it("belong to the bot before the first colon", () => {
    assert.equal(botIdOfMemoryId("bot-1:mem_5"), "bot-1");
    assert.equal(botIdOfMemoryId("a:b:c"), "a");
    assert.equal(botIdOfMemoryId("mem_5"), "");
  });
});

describe("memory texts", () => {
  it("are stored trimmed; empty, lone surrogates and oversized texts are rejected", () => {
    assert.equal(normalizeMemoryText("  a\r\n b \u0085"), "a\r\n b");
    assert.throws(() => normalizeMemoryText(" \n\t "), BadRequestError);
    assert.throws(() => normalizeMemoryText("a\ud800b"), /valid Unicode/);
    assert.equal(normalizeMemoryText("🧠"), "🧠");
    assert.equal(normalizeMemoryText("x".repeat(MAX_MEMORY_TEXT_BYTES)).length, MAX_MEMORY_TEXT_BYTES);
    assert.throws(() => normalizeMemoryText("x".repeat(MAX_MEMORY_TEXT_BYTES + 1)), /at most/);
  });

  it("joins messages as [ROLE] content lines, skipping empty contents, MESSAGE for no role", () => {
    assert.equal(
      messagesText([
        { role: "user", content: " hi " },
        { role: "assistant", content: "  " },
        { content: "plain" },
        { role: " tool ", content: "ok" },
      ]),
      "[USER] hi\n[MESSAGE] plain\n[TOOL] ok",
    );
  });

  it("hashes the trimmed text with sha256", () => {
    assert.equal(memoryHash(" abc\n"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("search scores", () => {
  it("gives 1 to an empty query and to a text containing the whole query, else the share of its words", () => {
    assert.equal(searchScore("", "anything"), 1);
    assert.equal(searchScore("green tea", "Alice likes GREEN TEA a lot"), 1);
    assert.equal(searchScore("tea green", "green tea"), 1); // both words, not as a phrase
    assert.equal(searchScore("tea coffee water", "green tea"), 1 / 3);
    assert.equal(searchScore("coffee", "green tea"), 0);
    assert.equal(searchScore("te", "green tea"), 1); // substring matches, as the original
  });
});
