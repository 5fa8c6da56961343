import { BadRequestError } from "../errors.js";

/**
 * The edit tool's matching rules, the original's applyEdit
 * (docs/reference.md#edit-matching), with its bug fixed: a fuzzy match replaces only the matched region. The original
 * wrote back the fuzzy-normalised text, so one edit stripped the trailing
 * whitespace and smart punctuation of the whole file.
 */
/** An edit that cannot apply (text not found, ambiguous, not text): the caller's mistake. */
export class EditError extends BadRequestError {}

const BOM = "\uFEFF";

export function applyEdit(raw: string, path: string, oldText: string, newText: string): string {
  const hasBom = raw.startsWith(BOM);
  const withoutBom = hasBom ? raw.slice(BOM.length) : raw;
  const crlf = detectLineEnding(withoutBom) === "\r\n";
  const content = toLf(withoutBom);
  const oldLf = toLf(oldText);
  const newLf = toLf(newText);

  const match = findText(content, oldLf);
  if (!match) {
    throw new EditError(
      `could not find the exact text in ${path}. the old text must match exactly including all whitespace and newlines`,
    );
  }
  if (match.occurrences > 1) {
    throw new EditError(
      `found ${match.occurrences} occurrences of the text in ${path}. the text must be unique. please provide more context to make it unique`,
    );
  }
  const edited = content.slice(0, match.start) + newLf + content.slice(match.end);
  if (edited === content) {
    throw new EditError(
      `no changes made to ${path}. the replacement produced identical content. new_text must differ from the text it replaces`,
    );
  }
  return (hasBom ? BOM : "") + (crlf ? edited.replaceAll("\n", "\r\n") : edited);
}

/** The first newline decides: CRLF if it ends a "\r\n", LF otherwise or when there is none. */
export function detectLineEnding(text: string): "\r\n" | "\n" {
  const newline = text.indexOf("\n");
  return newline > 0 && text[newline - 1] === "\r" ? "\r\n" : "\n";
}

const toLf = (text: string): string => text.replaceAll("\r\n", "\n").replaceAll("\r", "\n");

export interface TextMatch {
  /** The matched region of the LF-normalised content. */
  start: number;
  end: number;
  /** Non-overlapping occurrences under fuzzy normalisation, as the original counts them. */
  occurrences: number;
  fuzzy: boolean;
}

/** Exact search first, then fuzzy; the region is always one of `content` itself. */
export function findText(content: string, oldText: string): TextMatch | undefined {
  if (oldText === "") return undefined;
  // The fuzzy text alone (no origin map) is all the count needs; the map is
  // made only for a fuzzy match, so an exact edit of a large file stays cheap.
  const fuzzyContent = fuzzyText(content);
  const fuzzyOld = fuzzyText(oldText);
  // Text that is all trailing whitespace vanishes under fuzzy normalisation;
  // count it exactly instead of counting empty matches.
  const occurrences = fuzzyOld === "" ? countOccurrences(content, oldText) : countOccurrences(fuzzyContent, fuzzyOld);
  const exact = content.indexOf(oldText);
  if (exact !== -1)
    return { start: exact, end: exact + oldText.length, occurrences: Math.max(occurrences, 1), fuzzy: false };
  if (fuzzyOld === "") return undefined;
  const found = fuzzyContent.indexOf(fuzzyOld);
  if (found === -1) return undefined;
  const { origin } = fuzzyNormalize(content);
  const start = origin[found]!;
  const end = origin[found + fuzzyOld.length - 1]! + 1;
  return { start, end, occurrences, fuzzy: true };
}

export function countOccurrences(text: string, search: string): number {
  if (search === "") return 0;
  let count = 0;
  for (let index = text.indexOf(search); index !== -1; index = text.indexOf(search, index + search.length)) count++;
  return count;
}

// Go's unicode.IsSpace, which the original trims lines with.
const SPACE_CHAR = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

const FUZZY_CHARS: Record<string, string> = {};
for (const code of [0x2018, 0x2019, 0x201a, 0x201b]) FUZZY_CHARS[String.fromCharCode(code)] = "'";
for (const code of [0x201c, 0x201d, 0x201e, 0x201f]) FUZZY_CHARS[String.fromCharCode(code)] = '"';
for (const code of [0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212])
  FUZZY_CHARS[String.fromCharCode(code)] = "-";
for (const code of [
  0x00a0, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x202f, 0x205f, 0x3000,
]) {
  FUZZY_CHARS[String.fromCharCode(code)] = " ";
}

// The same set as SPACE_CHAR but for the newline, which ends the line:
// a run of them at the end of a line or of the text.
const TRAILING_SPACE = /[\t\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+(?=\n|$)/g;
const FUZZY_CHAR = new RegExp(`[${Object.keys(FUZZY_CHARS).join("")}]`, "g");

/** fuzzyNormalize's text, made with two regular expressions: a tenth of the time on a large file. */
export function fuzzyText(content: string): string {
  return content.replace(TRAILING_SPACE, "").replace(FUZZY_CHAR, (char) => FUZZY_CHARS[char]!);
}

/**
 * Fuzzy normalisation: trailing whitespace of each line dropped,
 * smart quotes, dashes and odd spaces made ASCII. Every mapped character is
 * one UTF-16 unit, so `origin[i]` is where `text[i]` came from.
 */
export function fuzzyNormalize(content: string): { text: string; origin: number[] } {
  const out: string[] = [];
  const origin: number[] = [];
  let lineStart = 0;
  for (;;) {
    const newline = content.indexOf("\n", lineStart);
    const lineEnd = newline === -1 ? content.length : newline;
    const line = content.slice(lineStart, lineEnd);
    let kept = line.length;
    while (kept > 0 && SPACE_CHAR.test(line[kept - 1]!)) kept--;
    for (let index = 0; index < kept; index++) {
      const char = line[index]!;
      out.push(FUZZY_CHARS[char] ?? char);
      origin.push(lineStart + index);
    }
    if (newline === -1) break;
    out.push("\n");
    origin.push(newline);
    lineStart = newline + 1;
  }
  return { text: out.join(""), origin };
}
