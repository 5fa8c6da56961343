// The API's answers as the console reads them: the SDK's types, generated
// from the server's own OpenAPI document (docs/sdk.md), so the console
// cannot drift from what the server answers. Types only: nothing of the
// SDK is bundled.
import type { components } from "../../../sdk/src/gen/openapi.ts";

type Schemas = components["schemas"];

export type Principal = Schemas["Principal"];
export type Bot = Schemas["Bot"];
export type ContainerState = Schemas["Container"];
export type LifecycleEvent = Schemas["LifecycleEvent"];
export type FileEntry = Schemas["FileEntry"];
export type FilePage = Schemas["FileList"];
export type ProcessInfo = Schemas["Process"];
export type OutputEvent = Schemas["ProcessOutputEvent"];
export type LogEvent = Schemas["LogEvent"];
export type Snapshot = Schemas["Snapshot"];
export type Version = Schemas["Version"];
export type SignedUrl = Schemas["SignedLink"];
export type McpServer = Schemas["McpServer"];
export type McpTool = Schemas["McpTool"];
export type Skill = Schemas["Skill"];
export type Memory = Schemas["Memory"];
