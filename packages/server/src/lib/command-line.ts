/**
 * What a command line must be for the agent to run it as `sh -c <command>`,
 * checked where it enters (the exec route, the LLM's exec tool) so the
 * caller learns the reason rather than a failed spawn.
 */

/**
 * The longest command: it reaches the kernel as one argument of `sh -c`, and
 * Linux refuses a single argument past 128 KiB (MAX_ARG_STRLEN, with its NUL).
 */
export const MAX_COMMAND_BYTES = 128 * 1024 - 1;

/** execve takes C strings: a NUL would cut them, and Node refuses them at spawn. */
export const hasNoNul = (value: string): boolean => !value.includes("\0");

const COMMAND_TOO_LONG = `is longer than ${MAX_COMMAND_BYTES} bytes, the kernel's limit for one argument: write a long script to a file and run that`;

/** Why `command` cannot run, or undefined when it can. */
export function commandLineProblem(command: string): string | undefined {
  if (!hasNoNul(command)) return "must not contain NUL bytes";
  if (Buffer.byteLength(command) > MAX_COMMAND_BYTES) return COMMAND_TOO_LONG;
  return undefined;
}
