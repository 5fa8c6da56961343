import type { components } from "./gen/openapi.js";

// The API's named shapes, as the SDK's methods answer them: each is the
// generated type of the server's own zod schema (src/gen/openapi.ts).
type Schemas = components["schemas"];

export type BotInfo = Schemas["Bot"];
export type ContainerInfo = Schemas["Container"];
export type ExecResultJson = Schemas["ExecResult"];
export type ExecStreamEvent = Schemas["ExecStreamEvent"];
export type FileEntry = Schemas["FileEntry"];
export type FileList = Schemas["FileList"];
export type UploadedFile = Schemas["UploadedFile"];
export type ProcessInfo = Schemas["Process"];
export type ProcessOutputEvent = Schemas["ProcessOutputEvent"];
export type WatchEvent = Schemas["WatchEvent"];
export type LifecycleEvent = Schemas["LifecycleEvent"];
export type SnapshotCreated = Schemas["SnapshotCreated"];
export type SnapshotInfo = Schemas["Snapshot"];
export type RolledBack = Schemas["RolledBack"];
export type McpServerInfo = Schemas["McpServer"];
export type McpToolInfo = Schemas["McpTool"];
export type PortLink = Schemas["PortLink"];
export type MemoryInfo = Schemas["Memory"];
export type SkillInfo = Schemas["Skill"];
export type SkillList = Schemas["SkillList"];
export type BotLogs = Schemas["BotLogs"];
export type LogEvent = Schemas["LogEvent"];
