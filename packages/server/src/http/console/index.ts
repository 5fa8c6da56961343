// The web console's static files (docs/console.md). Named exports only.
export { type ConsoleFiles, consoleFiles } from "./console-files.js";
export { CONSOLE_CSP } from "./security-headers.js";
export { CONSOLE_PREFIX, serveConsole } from "./serve-console.js";
