import { BadRequestError } from "../../errors.js";

/**
 * A name glob as a RegExp: `*` any run of characters, `?` one character,
 * `[abc]`, `[a-z]` and `[!x]` (or `[^x]`) one of / none of a set, `\` quotes
 * the next character. It matches whole names, so it cannot contain "/".
 */
export function globToRegExp(pattern: string): RegExp {
  if (pattern.includes("/")) throw new BadRequestError("pattern matches names, so it cannot contain '/'");
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === "*") source += ".*";
    else if (char === "?") source += ".";
    else if (char === "\\" && i + 1 < pattern.length) source += escape(pattern[++i]!);
    else if (char === "[") {
      const end = classEnd(pattern, i);
      if (end === -1) {
        source += "\\[";
        continue;
      }
      let body = pattern.slice(i + 1, end);
      const negated = body.startsWith("!") || body.startsWith("^");
      if (negated) body = body.slice(1);
      source += `[${negated ? "^" : ""}${body.replace(/[\\\]^]/g, (c) => `\\${c}`)}]`;
      i = end;
    } else source += escape(char);
  }
  try {
    return new RegExp(`^${source}$`, "su");
  } catch {
    throw new BadRequestError(`pattern ${JSON.stringify(pattern)} is not a valid glob`);
  }
}

/** Index of the "]" closing the class opened at `start`; a "]" right after "[" or "[!" is a member. */
function classEnd(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === "!" || pattern[i] === "^") i++;
  if (pattern[i] === "]") i++;
  return pattern.indexOf("]", i);
}

const escape = (char: string) => char.replace(/[.*+?^${}()|[\]\\]/g, (c) => `\\${c}`);
