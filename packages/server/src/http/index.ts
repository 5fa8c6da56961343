// Public face of the HTTP layer. Named exports only.
export { createHttpServer, type HttpServerOptions } from "./app.js";
export { type Principal, type TokenVerifier } from "./auth.js";
export { type ConnectionLimits } from "./connection-guard.js";
export { errorResponse } from "./error-status.js";
export type { BotDirectory } from "./routes/bots.js";
export type { TokenDirectory } from "./routes/tokens.js";
