import { BadRequestError } from "../errors.js";

/** One element of a compiled glob: a literal character, `?`, a class, or `*`. */
type Token =
  | { kind: "char"; char: string }
  | { kind: "any" }
  | { kind: "class"; test: (char: string) => boolean }
  | { kind: "star" };

export interface NameGlob {
  test(name: string): boolean;
}

/**
 * A name glob: `*` any run of characters, `?` one character, `[abc]`,
 * `[a-z]` and `[!x]` (or `[^x]`) one of / none of a set, `\` quotes the next
 * character. It matches whole names, so it cannot contain "/".
 *
 * Matched by the classic wildcard walk, which only ever goes back to the last
 * `*`: time is at most name length x pattern length. A RegExp of `.*` runs
 * backtracks exponentially (`*a*a*a*a*b` against 60 a's took 34 s and held
 * the server's event loop for every bot).
 */
export function compileGlob(pattern: string): NameGlob {
  if (pattern.includes("/")) throw new BadRequestError("pattern matches names, so it cannot contain '/'");
  const tokens = tokenize(pattern);
  return { test: (name) => matches(tokens, [...name]) };
}

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i]!;
    if (char === "*") {
      // Runs of * are one *.
      if (tokens.at(-1)?.kind !== "star") tokens.push({ kind: "star" });
    } else if (char === "?") tokens.push({ kind: "any" });
    else if (char === "\\" && i + 1 < chars.length) tokens.push({ kind: "char", char: chars[++i]! });
    else if (char === "[") {
      const end = classEnd(chars, i);
      if (end === -1) {
        tokens.push({ kind: "char", char });
        continue;
      }
      tokens.push({ kind: "class", test: classTest(chars.slice(i + 1, end), pattern) });
      i = end;
    } else tokens.push({ kind: "char", char });
  }
  return tokens;
}

/** Index of the "]" closing the class opened at `start`; a "]" right after "[" or "[!" is a member. */
function classEnd(chars: string[], start: number): number {
  let i = start + 1;
  if (chars[i] === "!" || chars[i] === "^") i++;
  if (chars[i] === "]") i++;
  const end = chars.indexOf("]", i);
  return end;
}

function classTest(body: string[], pattern: string): (char: string) => boolean {
  const negated = body[0] === "!" || body[0] === "^";
  const members = negated ? body.slice(1) : body;
  const ranges: [string, string][] = [];
  for (let i = 0; i < members.length; i++) {
    const low = members[i]!;
    if (members[i + 1] === "-" && i + 2 < members.length) {
      const high = members[i + 2]!;
      if (high.codePointAt(0)! < low.codePointAt(0)!) {
        throw new BadRequestError(`pattern ${JSON.stringify(pattern)} is not a valid glob: range ${low}-${high}`);
      }
      ranges.push([low, high]);
      i += 2;
    } else ranges.push([low, low]);
  }
  return (char) => {
    const code = char.codePointAt(0)!;
    const inside = ranges.some(([low, high]) => code >= low.codePointAt(0)! && code <= high.codePointAt(0)!);
    return inside !== negated;
  };
}

function matchesOne(token: Token, char: string): boolean {
  if (token.kind === "any") return true;
  if (token.kind === "char") return token.char === char;
  if (token.kind === "class") return token.test(char);
  return false;
}

function matches(tokens: Token[], name: string[]): boolean {
  let t = 0;
  let n = 0;
  // Where to resume after the last *: the token after it, and the name position it now covers up to.
  let starToken = -1;
  let starName = 0;
  while (n < name.length) {
    const token = tokens[t];
    if (token?.kind === "star") {
      starToken = t++;
      starName = n;
    } else if (token && matchesOne(token, name[n]!)) {
      t++;
      n++;
    } else if (starToken !== -1) {
      t = starToken + 1;
      n = ++starName;
    } else return false;
  }
  while (tokens[t]?.kind === "star") t++;
  return t === tokens.length;
}
