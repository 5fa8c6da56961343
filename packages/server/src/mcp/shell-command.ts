import { shellWord } from "../lib/index.js";

/**
 * The command line an Exec runs for a stdio server. `exec` makes the server
 * the shell's own process, so its exit code is the one the agent reports.
 * Env and cwd are not part of it: they travel in the Exec's own fields.
 */
export function buildServerCommand(command: string, args: readonly string[] = []): string {
  return ["exec", ...[command, ...args].map(shellWord)].join(" ");
}
