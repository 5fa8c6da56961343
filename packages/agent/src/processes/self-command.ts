import { readFileSync } from "node:fs";
import path from "node:path";

/**
 * How to start this same agent bundle again. Usually `node agent.js`, but
 * the sandbox starts node through the host's dynamic loader for imported
 * images (`ld-linux.so --library-path … node agent-start.js`), where
 * process.execPath is the loader; /proc/self/cmdline has the whole line.
 * Used for keepers and, by the init, for the agent itself.
 */
export function selfCommand(): string[] {
  const scriptArgs = process.argv.length - 2;
  try {
    const words = readFileSync("/proc/self/cmdline", "utf8").split("\0");
    if (words.at(-1) === "") words.pop();
    const prefix = words.slice(0, words.length - scriptArgs);
    if (prefix.length >= 2) return [...prefix.slice(0, -1), path.resolve(prefix.at(-1)!)];
  } catch {
    // No /proc: fall back to what Node says.
  }
  return [process.execPath, ...process.execArgv, process.argv[1]!];
}

/**
 * What a process started with selfCommand() needs in its environment beyond
 * the caller's: the code cache this agent was started with (code-cache-start.ts),
 * so a keeper or a restarted agent compiles no more than this one did.
 */
export function selfEnv(): NodeJS.ProcessEnv {
  const cache = (globalThis as Record<symbol, unknown>)[Symbol.for("botbox.agentCodeCache")];
  return typeof cache === "string" ? { BOTBOX_AGENT_CODE_CACHE: cache } : {};
}
