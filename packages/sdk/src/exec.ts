import { BotboxApiError } from "./errors.js";
import type { paths } from "./gen/openapi.js";
import { ndjsonLines } from "./streams.js";
import { botPath, type CallOptions, type Transport } from "./transport.js";
import type { ExecStreamEvent } from "./types.js";

/** What an exec takes besides the command line: work_dir, env, timeout (seconds), stdin. */
export type ExecOptions = Omit<
  paths["/bots/{bot_id}/container/exec"]["post"]["requestBody"]["content"]["application/json"],
  "command"
> &
  CallOptions;

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** True when output past the server's cap was dropped. */
  truncated: boolean;
}

export interface ExecStreamOptions extends ExecOptions {
  onStdout?: (data: string) => void;
  onStderr?: (data: string) => void;
}

/** Runs a shell command line in the bot and answers its whole output and exit code. */
export async function execCommand(
  transport: Transport,
  botId: string,
  command: string,
  { signal, ...options }: ExecOptions = {},
): Promise<ExecResult> {
  const result = await transport.call(
    transport.api.POST("/bots/{bot_id}/container/exec", {
      params: { path: { bot_id: botId } },
      body: { command, ...options },
      ...(signal ? { signal } : {}),
    }),
  );
  return {
    stdout: result.stdout,
    stderr: result.stderr,
    exitCode: result.exit_code,
    truncated: result.truncated ?? false,
  };
}

/**
 * Runs a command with its output handed to the callbacks as it comes (the
 * NDJSON exec stream). Output of a stream with a callback goes only there
 * (a long-running command's output is not held in memory); the others are
 * answered at the end, as `execCommand` does. A failure the server reports
 * inside the stream throws BotboxApiError.
 */
export async function execStreaming(
  transport: Transport,
  botId: string,
  command: string,
  { signal, onStdout, onStderr, ...options }: ExecStreamOptions = {},
): Promise<ExecResult> {
  const response = await transport.request("POST", botPath(botId, "/container/exec/stream"), {
    body: JSON.stringify({ command, ...options }),
    headers: { "content-type": "application/json" },
    ...(signal ? { signal } : {}),
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  let exitCode: number | undefined;
  for await (const event of ndjsonLines<ExecStreamEvent>(response.body!)) {
    if (event.type === "stdout") {
      if (onStdout) onStdout(event.data);
      else stdout.push(event.data);
    } else if (event.type === "stderr") {
      if (onStderr) onStderr(event.data);
      else stderr.push(event.data);
    } else if (event.type === "exit") exitCode = event.exit_code;
    else if (event.type === "error") throw new BotboxApiError(0, "agent_error", event.message);
  }
  if (exitCode === undefined) throw new BotboxApiError(0, "unavailable", "the exec stream ended before the exit");
  return { stdout: stdout.join(""), stderr: stderr.join(""), exitCode, truncated: false };
}
