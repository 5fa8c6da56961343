// The public face of @botbox/sdk: anything exported here is public API.
// Named exports only; src/gen/ is reached only through these wrappers.
export { Bot } from "./bot.js";
export { Botbox } from "./botbox.js";
export { Bots, type CreateBotOptions } from "./bots.js";
export { type ApiErrorCode, BotboxApiError } from "./errors.js";
export type { EventsOptions } from "./events.js";
export type { ExecOptions, ExecResult, ExecStreamOptions } from "./exec.js";
export { BotFiles, type Download, type UploadBody } from "./files.js";
export type { components as ApiComponents, paths as ApiPaths } from "./gen/openapi.js";
export type { FollowLogsOptions } from "./logs.js";
export { BotMcp, BotMcpServers, type McpServerConfig } from "./mcp.js";
export { BotMemory } from "./memory.js";
export { type AttachOptions, BotProcesses, type StartProcessOptions } from "./processes.js";
export { BotSkills } from "./skills.js";
export { BotSnapshots } from "./snapshots.js";
export { ndjsonLines, type SseMessage, sseMessages } from "./streams.js";
export { Terminal, type TerminalClose, type TerminalOptions } from "./terminal.js";
export type { BotboxOptions, CallOptions } from "./transport.js";
export type * from "./types.js";
export type { FileChangeEvent, WatchOptions } from "./watch.js";
