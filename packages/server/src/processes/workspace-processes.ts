import {
  type AgentClient,
  type ProcessClient,
  processClientFor,
  type ProcessCommand,
  type ProcessEvent,
  type ProcessRef,
  type ProcessView,
  type StartProcessOptions,
} from "../client/index.js";
import { BadRequestError, reachWorkspace } from "../errors.js";

/** The agent's input limit per call (docs/processes.md): a bigger body is sent in parts of this size. */
const INPUT_PART_BYTES = 2 ** 20;

export interface WorkspaceProcessesOptions {
  /** The bot's agent from the pool; any failure to get it is a WorkspaceUnreachableError (503). */
  agentFor: (botId: string) => Promise<AgentClient>;
}

/**
 * The bots' durable processes (docs/processes.md) for the HTTP routes and
 * the CLI: the agent's ProcessService, reached on the same gRPC channel the
 * pool holds for the bot. Sharing the channel means one connection per bot,
 * checked by the pool's identity check, and closed when the pool evicts it.
 */
export class WorkspaceProcesses {
  readonly #options: WorkspaceProcessesOptions;
  /** One process stub per pooled client; it goes with the client. */

  constructor(options: WorkspaceProcessesOptions) {
    this.#options = options;
  }

  async start(botId: string, command: ProcessCommand, options: StartProcessOptions): Promise<ProcessView> {
    return (await this.#client(botId)).start(command, options);
  }

  async list(botId: string, tag?: string): Promise<ProcessView[]> {
    return (await this.#client(botId)).list(tag === undefined ? {} : { tag });
  }

  async get(botId: string, process: ProcessRef): Promise<ProcessView> {
    return (await this.#client(botId)).get(process);
  }

  async signal(botId: string, process: ProcessRef, signal: string): Promise<ProcessView> {
    const client = await this.#client(botId);
    await client.signal(process, signal);
    return client.get(process);
  }

  /**
   * Feeds `body` to the process's stdin in parts of at most 1 MiB, each
   * sent once the keeper took the one before: a body is never held whole,
   * and a process that stops reading stops the upload (the agent refuses
   * input past 1 MiB waiting). Counts the bytes and stops past `maxBytes`.
   */
  async sendInput(
    botId: string,
    process: ProcessRef,
    body: AsyncIterable<Uint8Array>,
    limit: { maxBytes: number; tooLarge: () => Error },
  ): Promise<number> {
    const client = await this.#client(botId);
    let sent = 0;
    for await (const chunk of body) {
      sent += chunk.byteLength;
      if (sent > limit.maxBytes) throw limit.tooLarge();
      for (let start = 0; start < chunk.byteLength; start += INPUT_PART_BYTES)
        await client.sendInput(process, chunk.subarray(start, start + INPUT_PART_BYTES));
    }
    return sent;
  }

  async closeInput(botId: string, process: ProcessRef): Promise<void> {
    await (await this.#client(botId)).closeInput(process);
  }

  async wait(botId: string, process: ProcessRef, timeoutMs: number): Promise<ProcessView> {
    return (await this.#client(botId)).wait(process, timeoutMs);
  }

  /**
   * The process as it is now, and its output from `offset`, then (with
   * `follow`) live until it ends. The process is looked up first, so an
   * unknown one fails before a caller starts an answer. The events are pulled
   * one at a time: a consumer that stops pulling stops the gRPC stream (its
   * flow-control window fills), so nothing piles up here.
   */
  async openOutput(
    botId: string,
    process: ProcessRef,
    options: { offset: number; follow: boolean; signal?: AbortSignal },
  ): Promise<{ process: ProcessView; events: AsyncGenerator<ProcessEvent, void, undefined> }> {
    const client = await this.#client(botId);
    const view = await client.get(process);
    if (options.offset > view.outputBytes)
      throw new BadRequestError(
        `since ${options.offset} is past the process's output, which is ${view.outputBytes} bytes so far`,
      );
    return { process: view, events: client.attach({ id: view.id }, options) };
  }

  /** The bot's process stub itself, for a caller that makes many calls on one process (a terminal's keystrokes). */
  processClient(botId: string): Promise<ProcessClient> {
    return this.#client(botId);
  }

  async #client(botId: string): Promise<ProcessClient> {
    return processClientFor(await reachWorkspace(botId, this.#options.agentFor));
  }
}
