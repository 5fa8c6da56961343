import type { paths } from "./gen/openapi.js";
import { ndjsonLines } from "./streams.js";
import { botPath, type CallOptions, type Transport } from "./transport.js";
import type { ProcessInfo, ProcessOutputEvent } from "./types.js";

/** What starting a process takes: a shell line or argv, and optionally tag, cwd, env, pty, output cap. */
export type StartProcessOptions =
  paths["/bots/{bot_id}/processes"]["post"]["requestBody"]["content"]["application/json"];

export interface AttachOptions extends CallOptions {
  /** The byte offset to read from (0: all the output kept). */
  since?: number;
  /** Follow until the process exits (default true); false: what was written so far. */
  follow?: boolean;
  /** "base64": every output event's data as base64, so bytes pass exactly; default "auto" (UTF-8 text when it is). */
  encoding?: "auto" | "base64";
}

/**
 * `bot.processes`: durable processes, kept by the bot's supervisor across
 * disconnects (docs/processes.md). `process` names one by id or by tag.
 */
export class BotProcesses {
  constructor(
    private readonly transport: Transport,
    private readonly botId: string,
  ) {}

  async start(options: StartProcessOptions, call: CallOptions = {}): Promise<ProcessInfo> {
    return this.transport.call(
      this.transport.api.POST("/bots/{bot_id}/processes", {
        params: { path: { bot_id: this.botId } },
        body: options,
        ...call,
      }),
    );
  }

  async list(call: CallOptions = {}): Promise<ProcessInfo[]> {
    const { processes } = await this.transport.call(
      this.transport.api.GET("/bots/{bot_id}/processes", { params: { path: { bot_id: this.botId } }, ...call }),
    );
    return processes;
  }

  async get(process: string, call: CallOptions = {}): Promise<ProcessInfo> {
    return this.transport.call(
      this.transport.api.GET("/bots/{bot_id}/processes/{process}", {
        params: { path: { bot_id: this.botId, process } },
        ...call,
      }),
    );
  }

  /** Sends a signal (default TERM) to the process's group. */
  async signal(process: string, signal = "TERM", call: CallOptions = {}): Promise<ProcessInfo> {
    return this.transport.call(
      this.transport.api.POST("/bots/{bot_id}/processes/{process}/signal", {
        params: { path: { bot_id: this.botId, process } },
        body: { signal },
        ...call,
      }),
    );
  }

  /**
   * The process's output events as they come (NDJSON): `output` chunks,
   * `dropped` ranges, then `exit` with the process; an `error` event names
   * the offset (`since`) to attach again from.
   */
  async *attach(process: string, options: AttachOptions = {}): AsyncGenerator<ProcessOutputEvent> {
    const { since, follow, encoding, ...call } = options;
    const response = await this.transport.request(
      "GET",
      botPath(this.botId, `/processes/${encodeURIComponent(process)}/output`),
      { query: { since: since ?? 0, follow: follow ?? true, encoding: encoding ?? "auto" }, ...call },
    );
    yield* ndjsonLines<ProcessOutputEvent>(response.body!);
  }
}
