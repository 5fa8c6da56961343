import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";

import type { ProcessRef, ProcessView } from "../client/index.js";
import type { WorkspaceProcesses } from "../processes/index.js";
import { connectCall, keepaliveMs, sandboxOfCall, toConnectError, withKeepalive } from "./envd-context.js";
import { type Process, type ProcessEventSchema, type ProcessSelector, Signal } from "./gen/process/process_pb.js";
import type { SandboxRegistry } from "./sandboxes.js";

type ProcessEventInit = MessageInitShape<typeof ProcessEventSchema>;

const SIGNAL_NAMES: Partial<Record<Signal, string>> = { [Signal.SIGKILL]: "SIGKILL", [Signal.SIGTERM]: "SIGTERM" };

/** E2B's end event for a botbox process that ended: exit code, and Go's wording of the state as envd sends it. */
function endEvent(view: ProcessView): ProcessEventInit {
  const exitCode = view.exitCode ?? -1;
  const status = view.signal
    ? `signal: ${view.signal}`
    : view.status === "exited"
      ? `exit status ${exitCode}`
      : view.status;
  return {
    event: {
      case: "end",
      value: {
        exitCode,
        exited: view.status === "exited",
        status,
        ...(view.status === "exited" ? {} : { error: status }),
      },
    },
  };
}

/**
 * envd's `process.Process` service on botbox's durable processes
 * (docs/processes.md): E2B's pid is the process's pid in the bot, its tag
 * botbox's tag; output streams from the supervisor, so a command outlives
 * the call that started it, as in E2B.
 */
export function processService(registry: SandboxRegistry, processes: WorkspaceProcesses): ServiceImpl<typeof Process> {
  /** The botbox process an E2B selector names; NotFound when no running process has that pid. */
  async function resolve(botId: string, selector: ProcessSelector | undefined): Promise<ProcessRef> {
    const chosen = selector?.selector;
    if (chosen?.case === "tag") return { tag: chosen.value };
    if (chosen?.case !== "pid") throw new ConnectError("process: give a pid or a tag", Code.InvalidArgument);
    const match = (await processes.list(botId)).find((view) => view.pid === chosen.value && view.status === "running");
    if (!match) throw new ConnectError(`process with pid ${chosen.value} not found`, Code.NotFound);
    return { id: match.id };
  }

  /** The process's output from `offset` as E2B events, then its end event. */
  async function* events(
    botId: string,
    id: string,
    offset: number,
    context: HandlerContext,
  ): AsyncGenerator<{ event: ProcessEventInit }> {
    try {
      const opened = await processes.openOutput(botId, { id }, { offset, follow: true, signal: context.signal });
      const keepalive = { type: "keepalive" } as const;
      for await (const event of withKeepalive(opened.events, keepaliveMs(context.requestHeader), keepalive)) {
        if (event.type === "keepalive") yield { event: { event: { case: "keepalive", value: {} } } };
        else if (event.type === "output")
          yield { event: { event: { case: "data", value: { output: { case: event.stream, value: event.data } } } } };
        else if (event.type === "exit") {
          yield { event: endEvent(event.process) };
          return;
        }
      }
    } catch (error) {
      throw toConnectError(error);
    }
  }

  return {
    async *start(request, context) {
      const botId = await sandboxOfCall(registry, context.requestHeader);
      const config = request.process;
      if (!config?.cmd) throw new ConnectError("process.cmd: required", Code.InvalidArgument);
      const size = request.pty?.size;
      const sandboxEnv = await connectCall(() => registry.envVarsOf(botId));
      const view = await connectCall(() =>
        processes.start(
          botId,
          { argv: [config.cmd, ...config.args] },
          {
            env: { ...sandboxEnv, ...config.envs },
            ...(config.cwd ? { cwd: config.cwd } : {}),
            ...(size ? { pty: { cols: size.cols, rows: size.rows } } : {}),
            ...(request.tag ? { tag: request.tag } : {}),
          },
        ),
      );
      // E2B gives a command no stdin unless asked (`stdin: true`): a read sees end of file, not a wait.
      if (!request.stdin && !size) await processes.closeInput(botId, { id: view.id }).catch(() => undefined);
      yield { event: { event: { case: "start", value: { pid: view.pid } } } };
      yield* events(botId, view.id, 0, context);
    },

    async *connect(request, context) {
      const botId = await sandboxOfCall(registry, context.requestHeader);
      const ref = await connectCall(() => resolve(botId, request.process));
      const view = await connectCall(() => processes.get(botId, ref));
      yield { event: { event: { case: "start", value: { pid: view.pid } } } };
      // As envd: output from now on (what came before was the first caller's).
      yield* events(botId, view.id, view.outputBytes, context);
    },

    async list(_request, context) {
      const botId = await sandboxOfCall(registry, context.requestHeader);
      const running = (await connectCall(() => processes.list(botId))).filter((view) => view.status === "running");
      return {
        processes: running.map((view) => ({
          config: { cmd: view.argv[0] ?? "", args: view.argv.slice(1), envs: {}, cwd: view.cwd },
          pid: view.pid,
          ...(view.tag ? { tag: view.tag } : {}),
        })),
      };
    },

    async sendInput(request, context) {
      const botId = await sandboxOfCall(registry, context.requestHeader);
      const input = request.input?.input;
      if (!input?.case) throw new ConnectError("input: give stdin or pty bytes", Code.InvalidArgument);
      await connectCall(async () =>
        (await processes.processClient(botId)).sendInput(await resolve(botId, request.process), input.value),
      );
      return {};
    },

    async streamInput(requests, context) {
      const botId = await sandboxOfCall(registry, context.requestHeader);
      let ref: ProcessRef | undefined;
      for await (const message of requests) {
        const event = message.event;
        if (event.case === "start") ref = await connectCall(() => resolve(botId, event.value.process));
        else if (event.case === "data") {
          const input = event.value.input?.input;
          if (!ref) throw new ConnectError("stream input: the start event comes first", Code.InvalidArgument);
          const target = ref;
          if (input?.case)
            await connectCall(async () => (await processes.processClient(botId)).sendInput(target, input.value));
        }
      }
      return {};
    },

    async sendSignal(request, context) {
      const botId = await sandboxOfCall(registry, context.requestHeader);
      const name = SIGNAL_NAMES[request.signal];
      if (!name) throw new ConnectError("signal: SIGTERM or SIGKILL", Code.InvalidArgument);
      await connectCall(async () => processes.signal(botId, await resolve(botId, request.process), name));
      return {};
    },

    async closeStdin(request, context) {
      const botId = await sandboxOfCall(registry, context.requestHeader);
      await connectCall(async () => processes.closeInput(botId, await resolve(botId, request.process)));
      return {};
    },

    async update(request, context) {
      const botId = await sandboxOfCall(registry, context.requestHeader);
      const size = request.pty?.size;
      if (!size) throw new ConnectError("pty.size: required", Code.InvalidArgument);
      await connectCall(async () =>
        (await processes.processClient(botId)).resize(await resolve(botId, request.process), {
          cols: size.cols,
          rows: size.rows,
        }),
      );
      return {};
    },
  };
}
