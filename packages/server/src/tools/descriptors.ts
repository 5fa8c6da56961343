import type { Tool } from "@modelcontextprotocol/sdk/types.js";

export const TOOL_NAMES = ["read", "write", "list", "edit", "exec", "jobs"] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

export const READ_MAX_LINES = 200;
export const JOBS_TAIL_DEFAULTS = { lines: 100, bytes: 10 * 1024, maxLines: 1000, maxBytes: 64 * 1024 } as const;

export interface DescriptorSettings {
  /** The data folder the tools' paths are relative to. */
  dataDir: string;
  execTimeout: { defaultSeconds: number; maxSeconds: number };
  backgroundOnTimeout: boolean;
}

/** The original's five tools (read, write, list, edit, exec), plus exec's timeout and background options and the jobs tool. */
export function toolDescriptors(settings: DescriptorSettings): Tool[] {
  const { dataDir, execTimeout } = settings;
  const path = (what: string) => ({
    type: "string",
    description: `${what} (relative to ${dataDir} or absolute)`,
  });
  const onTimeout = settings.backgroundOnTimeout
    ? "A command still running at its timeout keeps running as a background job; the result then says so and gives the job id."
    : "A command still running at its timeout is killed.";
  return [
    {
      name: "read",
      description: `Read file content inside the bot container. Supports pagination for large files. Max ${READ_MAX_LINES} lines / 5120 bytes per call.`,
      inputSchema: {
        type: "object",
        properties: {
          path: path("File path"),
          line_offset: { type: "integer", minimum: 1, default: 1, description: "First line to read, 1-based" },
          n_lines: {
            type: "integer",
            minimum: 1,
            maximum: READ_MAX_LINES,
            default: READ_MAX_LINES,
            description: "Number of lines to read",
          },
        },
        required: ["path"],
      },
    },
    {
      name: "write",
      description: "Write file content inside the bot container, replacing the file. Parent folders are created.",
      inputSchema: {
        type: "object",
        properties: { path: path("File path"), content: { type: "string", description: "Full file content" } },
        required: ["path", "content"],
      },
    },
    {
      name: "list",
      description: "List directory entries inside the bot container.",
      inputSchema: {
        type: "object",
        properties: {
          path: path("Directory path"),
          recursive: { type: "boolean", default: false, description: "List subfolders too" },
        },
        required: ["path"],
      },
    },
    {
      name: "edit",
      description:
        "Replace one exact, unique occurrence of text in a file inside the bot container. Line endings and a byte-order mark are kept.",
      inputSchema: {
        type: "object",
        properties: {
          path: path("File path"),
          old_text: { type: "string", description: "Exact text to find" },
          new_text: { type: "string", description: "Replacement text" },
        },
        required: ["path", "old_text", "new_text"],
      },
    },
    {
      name: "exec",
      description: `Execute a command in the bot container. Runs in the bot's data directory (${dataDir}) by default. ${onTimeout} With background=true the command starts as a background job and the call returns its id at once; see the jobs tool.`,
      inputSchema: {
        type: "object",
        properties: {
          command: { type: "string", description: "Shell command (run by /bin/sh -c)" },
          work_dir: { type: "string", default: dataDir, description: "Working directory" },
          timeout: {
            type: "integer",
            minimum: 1,
            maximum: execTimeout.maxSeconds,
            default: execTimeout.defaultSeconds,
            description: "Seconds to wait for the command",
          },
          background: {
            type: "boolean",
            default: false,
            description: "Start as a background job and return its id at once; the jobs tool shows its output",
          },
        },
        required: ["command"],
      },
    },
    {
      name: "jobs",
      description:
        "Manage background jobs started by exec: list them, show one's status, exit code and the tail of its output, wait for one to finish (up to timeout seconds), or kill one with all its processes.",
      inputSchema: {
        type: "object",
        properties: {
          action: { type: "string", enum: ["list", "status", "wait", "kill"], description: "What to do" },
          id: { type: "string", description: "Job id (for status, wait and kill)" },
          timeout: {
            type: "integer",
            minimum: 1,
            maximum: execTimeout.maxSeconds,
            default: execTimeout.defaultSeconds,
            description: "Seconds to wait at most (wait); larger values are capped",
          },
          tail_lines: {
            type: "integer",
            minimum: 1,
            maximum: JOBS_TAIL_DEFAULTS.maxLines,
            default: JOBS_TAIL_DEFAULTS.lines,
            description: "Lines of output to show from the end",
          },
          tail_bytes: {
            type: "integer",
            minimum: 1,
            maximum: JOBS_TAIL_DEFAULTS.maxBytes,
            default: JOBS_TAIL_DEFAULTS.bytes,
            description: "Bytes of output to show from the end",
          },
        },
        required: ["action"],
      },
    },
  ];
}
