import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { applyEdit, detectLineEnding, EditError, findText, fuzzyNormalize, fuzzyText } from "./apply-edit.js";

const fails = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (error: unknown) => error instanceof EditError && message.test(error.message));

describe("applyEdit", () => {
  it("replaces the one exact occurrence and keeps the file's trailing newline", () => {
    assert.equal(applyEdit("hello world\n", "f.txt", "hello world", "goodbye world"), "goodbye world\n");
  });

  it("reports text that is not there, naming the file", () => {
    fails(
      () => applyEdit("hello\n", "f.txt", "bye", "x"),
      /^could not find the exact text in f\.txt\. the old text must match exactly including all whitespace and newlines$/,
    );
  });

  it("refuses an ambiguous match with the number of occurrences", () => {
    fails(
      () => applyEdit("x = 1\nx = 1\n", "f.txt", "x = 1", "x = 2"),
      /^found 2 occurrences of the text in f\.txt\. the text must be unique\. please provide more context to make it unique$/,
    );
  });

  it("counts occurrences under fuzzy normalisation, even when the exact text is unique", () => {
    fails(() => applyEdit("it's\nit\u2019s\n", "f.txt", "it's", "it is"), /^found 2 occurrences/);
  });

  it("refuses a replacement that changes nothing", () => {
    fails(
      () => applyEdit("same\n", "f.txt", "same", "same"),
      /^no changes made to f\.txt\. the replacement produced identical content/,
    );
  });

  it("keeps CRLF line endings, also for LF in old and new text", () => {
    assert.equal(applyEdit("a\r\nb\r\nc\r\n", "f", "a\nb", "x\ny\nz"), "x\r\ny\r\nz\r\nc\r\n");
  });

  it("takes the line ending from the first newline", () => {
    assert.equal(detectLineEnding("a\r\nb\n"), "\r\n");
    assert.equal(detectLineEnding("a\nb\r\n"), "\n");
    assert.equal(detectLineEnding("no newline"), "\n");
    assert.equal(detectLineEnding("\nfirst"), "\n");
  });

  it("keeps a byte-order mark", () => {
    assert.equal(applyEdit("\uFEFFname = old\n", "f", "old", "new"), "\uFEFFname = new\n");
  });

  it("keeps trailing newlines of the new text and may delete the match", () => {
    assert.equal(applyEdit("a\nb\n", "f", "a\n", "a\n\n\n"), "a\n\n\nb\n");
    assert.equal(applyEdit("keep drop keep", "f", " drop", ""), "keep keep");
  });

  it("matches smart quotes fuzzily and rewrites only the matched region", () => {
    const file = "say \u201chi\u201d  \nit\u2019s fine   \n\u2014 the end\u00a0\n";
    const edited = applyEdit(file, "f", 'say "hi"', 'say "yo"');
    assert.equal(edited, 'say "yo"  \nit\u2019s fine   \n\u2014 the end\u00a0\n');
  });

  it("fuzzy matches across lines with trailing whitespace in the file", () => {
    const file = "one  \ntwo\t\nthree\n";
    assert.equal(applyEdit(file, "f", "one\ntwo", "1\n2"), "1\n2\t\nthree\n");
  });

  it("maps dashes and odd spaces when matching fuzzily", () => {
    const file = "a\u2013b\u00a0c \u2212 d\n";
    assert.equal(applyEdit(file, "f", "a-b c - d", "x"), "x\n");
  });

  it("converts lone carriage returns, as the original does", () => {
    assert.equal(applyEdit("a\rb\n", "f", "b", "c"), "a\nc\n");
  });

  it("counts whitespace-only old text exactly", () => {
    assert.equal(applyEdit("a  b\n", "f", "  ", " "), "a b\n");
    fails(() => applyEdit("a  b  c\n", "f", "  ", " "), /^found 2 occurrences/);
  });
});

describe("findText", () => {
  it("prefers the exact match", () => {
    assert.deepEqual(findText("abc abc2", "abc2"), { start: 4, end: 8, occurrences: 1, fuzzy: false });
  });

  it("finds nothing for empty text or text that is absent", () => {
    assert.equal(findText("abc", ""), undefined);
    assert.equal(findText("abc", "x"), undefined);
  });

  it("gives the original region of a fuzzy match", () => {
    const content = "x \u2018q\u2019 y";
    const match = findText(content, "'q'");
    assert.deepEqual(match, { start: 2, end: 5, occurrences: 1, fuzzy: true });
  });
});

describe("fuzzyNormalize", () => {
  it("drops trailing whitespace per line and maps punctuation, remembering origins", () => {
    const { text, origin } = fuzzyNormalize("\u201ca\u201d \t\nb\u3000");
    assert.equal(text, '"a"\nb');
    assert.deepEqual(origin, [0, 1, 2, 5, 6]);
  });

  it("fuzzyText gives the same text as the character walk, on any mix of spaces, lines and punctuation", () => {
    // Every character either function treats specially, and plain ones.
    const alphabet = [..."ab \t\n\r\v\f\u0085\u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000"];
    alphabet.push(..."\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u2010\u2015\u2212\u2002-'\"");
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    for (let run = 0; run < 2000; run++) {
      const text = Array.from({ length: next() % 40 }, () => alphabet[next() % alphabet.length]).join("");
      assert.equal(fuzzyText(text), fuzzyNormalize(text).text, JSON.stringify(text));
    }
  });
});
