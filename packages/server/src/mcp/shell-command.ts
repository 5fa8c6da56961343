/**
 * Words that sh reads literally. Anything else is single-quoted, which fixes
 * spec 6.1: the original left `#`, `~` and `=` bare, so an argument `#x`
 * started a comment, `~` expanded to a home folder, and `K=V` in command
 * position became an assignment.
 */
const PLAIN_WORD = /^[A-Za-z0-9_@%+,./:-]+$/;

/** One word for `sh -c`, quoted unless it is plainly safe. */
export function quoteShellWord(word: string): string {
  if (PLAIN_WORD.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command line an Exec runs for a stdio server. `exec` makes the server
 * the shell's own process, so its exit code is the one the agent reports.
 * Env and cwd are not part of it: they travel in the Exec's own fields.
 */
export function buildServerCommand(command: string, args: readonly string[] = []): string {
  return ["exec", ...[command, ...args].map(quoteShellWord)].join(" ");
}
