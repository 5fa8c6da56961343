import type { AgentClient } from "../client/index.js";
import { PayloadTooLargeError } from "../errors.js";
import { FileTooLargeError, NotRegularFileError, NotTextFileError, readWholeText } from "../workspace/index.js";
import { applyEdit, EditError } from "./apply-edit.js";
import { optionalBoolean, optionalInteger, optionalString, ToolArgumentError, trimmedString } from "./args.js";
import { READ_MAX_LINES } from "./descriptors.js";
import { normalizePath } from "./normalize-path.js";
import { toolError, toolResult } from "./results.js";
import type { ToolHandler } from "./tool-handler.js";

/** The agent's probe: a NUL byte in the first 8 KiB marks a file as binary. */
const BINARY_PROBE_BYTES = 8192;

/** The largest file edit reads: it holds the file in memory, twice, while editing. */
export const EDIT_MAX_BYTES = 16 * 1024 * 1024;

export const readTool: ToolHandler = (args, { dataDir }) => {
  const path = requirePath(args, dataDir);
  const lineOffset = optionalInteger(args, "line_offset") ?? 1;
  if (lineOffset < 1) throw new ToolArgumentError("line_offset must be >= 1");
  const lineCount = optionalInteger(args, "n_lines") ?? READ_MAX_LINES;
  if (lineCount < 1) throw new ToolArgumentError("n_lines must be >= 1");
  return async (client) => {
    const page = await client.readFile(path, { lineOffset, lineCount: Math.min(lineCount, READ_MAX_LINES) });
    if (page.binary) return toolError("file appears to be binary. Read tool only supports text files");
    return toolResult({ content: page.content, total_lines: page.totalLines });
  };
};

export const writeTool: ToolHandler = (args, { dataDir }) => {
  const path = requirePath(args, dataDir);
  // Not trimmed: a file's trailing newline is part of it.
  const content = optionalString(args, "content");
  if (content === undefined) throw new ToolArgumentError("content is required (use an empty string for an empty file)");
  return async (client) => {
    // Streamed and atomic: a single WriteFile message is capped by gRPC's 4 MiB limit.
    await client.writeRaw(path, content);
    return toolResult({ ok: true });
  };
};

export const listTool: ToolHandler = (args, { dataDir }) => {
  const path = normalizePath(trimmedString(args, "path"), dataDir) || ".";
  const recursive = optionalBoolean(args, "recursive") ?? false;
  return async (client) => {
    const entries = await client.listDir(path, { recursive });
    return toolResult({
      path,
      entries: entries.map((entry) => ({
        path: entry.path,
        is_dir: entry.isDir,
        size: entry.size,
        mode: entry.mode,
        mod_time: entry.modTime,
      })),
    });
  };
};

export const editTool: ToolHandler = (args, { dataDir }) => {
  const path = normalizePath(trimmedString(args, "path"), dataDir);
  // Not trimmed: whitespace and newlines are part of what is matched and written.
  const oldText = optionalString(args, "old_text") ?? "";
  const newText = optionalString(args, "new_text");
  if (path === "" || oldText === "" || newText === undefined) {
    throw new ToolArgumentError("path, old_text and new_text are required");
  }
  return async (client) => {
    // EditError reaches the LLM as a tool error, like every failure.
    const edited = applyEdit(await readEditable(client, path), path, oldText, newText);
    await client.writeRaw(path, edited);
    return toolResult({ ok: true });
  };
};

function requirePath(args: Record<string, unknown>, dataDir: string): string {
  const path = normalizePath(trimmedString(args, "path"), dataDir);
  if (path === "") throw new ToolArgumentError("path is required");
  return path;
}

/**
 * A regular text file of at most EDIT_MAX_BYTES (workspace/read-whole-text.ts
 * checks it before and while reading: the file may grow, and a symlink may
 * lead to a device), with the edit tool's wording for each refusal.
 */
async function readEditable(client: AgentClient, path: string): Promise<string> {
  try {
    return (await readWholeText(client, path, { maxBytes: EDIT_MAX_BYTES, binaryProbeBytes: BINARY_PROBE_BYTES })).text;
  } catch (error) {
    if (error instanceof NotRegularFileError)
      throw new EditError(
        `${path} is not a regular file (mode ${error.entry.mode}). Edit tool only supports regular text files`,
      );
    if (error instanceof FileTooLargeError) throw tooLarge(path, error.sizeBytes);
    if (error instanceof NotTextFileError && error.reason === "binary")
      throw new EditError("file appears to be binary. Edit tool only supports text files");
    // Edits rewrite the file: invalid UTF-8 would come back as U+FFFD everywhere, not just in the edited region.
    if (error instanceof NotTextFileError)
      throw new EditError(`${path} is not valid UTF-8 text. Edit tool only supports text files`);
    throw error;
  }
}

const tooLarge = (path: string, size?: number) =>
  new PayloadTooLargeError(
    `${path} is too large to edit (${size === undefined ? "more than" : `${size} bytes; the limit is`} ${EDIT_MAX_BYTES} bytes)`,
  );
