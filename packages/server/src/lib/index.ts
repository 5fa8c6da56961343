// General primitives with no botbox concern of their own, used across the
// server's folders. Named exports only.
export { commandLineProblem, MAX_COMMAND_BYTES } from "./command-line.js";
export { KeyedLock } from "./keyed-lock.js";
export { shellQuote, shellWord } from "./shell-quote.js";
