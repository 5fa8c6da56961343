/**
 * Quoting for POSIX sh, in one place: the LLM tools, the stdio MCP sessions
 * and the CLI all build command lines that the agent runs with `sh -c`.
 */

/**
 * One sh word, always single-quoted, each embedded single quote written as
 * '\'' (close, escaped quote, reopen).
 */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * Words that sh reads literally. Anything else is quoted: the original left
 * `#`, `~` and `=` bare, so an argument `#x` started a comment, `~` expanded
 * to a home folder, and `K=V` in command position became an assignment.
 */
const PLAIN_WORD = /^[A-Za-z0-9_@%+,./:-]+$/;

/** One sh word, left bare when sh would read it literally anyway (command lines stay readable). */
export function shellWord(word: string): string {
  return PLAIN_WORD.test(word) ? word : shellQuote(word);
}
