import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";

import type { ProcessSelector, ProcessServiceServer, StartRequest } from "@botbox/proto";
import { status } from "@grpc/grpc-js";

import type { ProcessSettings } from "../config.js";
import { mergeEnv } from "../handlers/exec.js";
import { resolvePath } from "../paths.js";
import { type CallPolicy, serverStream, unary } from "../rpc-call.js";
import { describeSystemError, invalidArgument, RpcError } from "../rpc-error.js";
import { launchKeeper } from "./keeper-launch.js";
import { askKeeper, commandKeeper } from "./keeper-link.js";
import { MIN_OUTPUT_LIMIT_BYTES } from "./output-log.js";
import { attach } from "./process-attach.js";
import { toProcessInfo } from "./process-info.js";
import { KEEPER_SOCKET, type PtySize } from "./process-record.js";
import { type KnownProcess, ProcessTable } from "./process-table.js";
import { checkedSignal, checkedSize, checkedTag, MAX_INPUT_BYTES, MAX_WAIT_MS } from "./process-validation.js";
import { selfCommand, selfEnv } from "./self-command.js";

const RING_BYTES = 256 * 1024;
/** The kernel's limit on a Unix socket's path (sun_path, 108 bytes with its NUL). */
const MAX_SOCKET_PATH_BYTES = 107;

export interface ProcessServiceOptions {
  policy: CallPolicy;
  dataDir: string;
  settings: ProcessSettings;
  /** The agent's environment minus its secrets: what processes and keepers inherit. */
  baseEnv: NodeJS.ProcessEnv;
  /** Aborted when the agent stops: attached readers are ended at once. */
  stopping?: AbortSignal;
}

export function createProcessService(options: ProcessServiceOptions): ProcessServiceServer {
  const { policy, dataDir, settings, baseEnv } = options;
  const table = new ProcessTable(path.join(settings.stateDir, "processes"));
  const keeperCommand = selfCommand();
  const keeperEnv = { ...baseEnv, ...selfEnv() };
  // Starts run one at a time, so two cannot both take the last slot or the same tag.
  let startQueue: Promise<unknown> = Promise.resolve();
  const find = (selector: ProcessSelector | undefined) => findProcess(table, selector);
  const describe = <T extends { process?: ProcessSelector }>(request: T) =>
    request.process?.id || (request.process?.tag ? `tag:${request.process.tag}` : undefined);

  const start = async (request: StartRequest) => {
    const spec = checkedStart(request, dataDir, settings, baseEnv);
    const known = await table.prune(settings.keepFinished, settings.keepFinishedSeconds);
    // An unresponsive keeper's process may well run: it counts.
    const running = known.filter((entry) => entry.state.status === "running" || entry.state.status === "unresponsive");
    if (running.length >= settings.maxRunning)
      throw new RpcError(status.RESOURCE_EXHAUSTED, `${running.length} processes are running, the most allowed`);
    if (spec.tag !== "" && running.some((entry) => entry.record.tag === spec.tag))
      throw new RpcError(status.ALREADY_EXISTS, `a running process already has the tag ${JSON.stringify(spec.tag)}`);
    const id = randomBytes(6).toString("hex");
    const dir = table.dirOf(id);
    if (Buffer.byteLength(path.join(dir, KEEPER_SOCKET)) > MAX_SOCKET_PATH_BYTES)
      throw new RpcError(status.FAILED_PRECONDITION, `the state folder ${settings.stateDir} is too long a path`);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new RpcError(
        status.FAILED_PRECONDITION,
        `cannot make a process folder: ${describeSystemError("mkdir", dir, error)}`,
      );
    }
    try {
      const record = await launchKeeper(keeperCommand, dir, { ...spec, id, ringBytes: RING_BYTES }, keeperEnv);
      return toProcessInfo({ dir, record, state: await table.stateOf(dir) });
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  };

  return {
    start: unary(
      policy,
      "Process.Start",
      (request) => request.tag || undefined,
      (request) => {
        const result = startQueue.then(() => start(request));
        startQueue = result.catch(() => undefined);
        return result;
      },
    ),
    list: unary(
      policy,
      "Process.List",
      () => undefined,
      async (request) => {
        if (request.tag !== "") checkedTag(request.tag);
        const entries = await table.prune(settings.keepFinished, settings.keepFinishedSeconds);
        return {
          processes: entries
            .filter((entry) => request.tag === "" || entry.record.tag === request.tag)
            .map(toProcessInfo),
        };
      },
    ),
    get: unary(
      policy,
      "Process.Get",
      (request) => request.id || request.tag,
      async (request) => toProcessInfo(await find(request)),
    ),
    attach: serverStream(policy, "Process.Attach", async (call, log) => {
      log.path = describe(call.request);
      await attach(await find(call.request.process), table, call, options.stopping);
    }),
    sendInput: unary(policy, "Process.SendInput", describe, async (request) => {
      if (request.data.length > MAX_INPUT_BYTES)
        throw invalidArgument(`input is ${request.data.length} bytes; at most ${MAX_INPUT_BYTES} per call`);
      const found = await findRunning(table, request.process);
      await commandKeeper(found.dir, { op: "input" }, request.data);
      return {};
    }),
    closeInput: unary(
      policy,
      "Process.CloseInput",
      (request) => request.id || request.tag,
      async (request) => {
        await commandKeeper((await findRunning(table, request)).dir, { op: "closeInput" });
        return {};
      },
    ),
    signal: unary(policy, "Process.Signal", describe, async (request) => {
      const signal = checkedSignal(request.signal);
      await commandKeeper((await findRunning(table, request.process)).dir, { op: "signal", signal });
      return {};
    }),
    wait: unary(policy, "Process.Wait", describe, async (request) => {
      if (!Number.isInteger(request.timeoutMs) || request.timeoutMs < 0 || request.timeoutMs > MAX_WAIT_MS)
        throw invalidArgument(`timeout_ms must be from 0 to ${MAX_WAIT_MS}, got ${request.timeoutMs}`);
      const found = await find(request.process);
      if (found.state.status !== "running" || request.timeoutMs === 0) return toProcessInfo(found);
      await askKeeper(found.dir, { op: "wait" }, { timeoutMs: request.timeoutMs }).catch(() => undefined);
      return toProcessInfo({ ...found, state: await table.stateOf(found.dir) });
    }),
    resize: unary(policy, "Process.Resize", describe, async (request) => {
      const size = checkedSize("size", request.size);
      const found = await findRunning(table, request.process);
      await commandKeeper(found.dir, { op: "resize", ...size });
      return {};
    }),
  };
}

async function findProcess(table: ProcessTable, selector: ProcessSelector | undefined): Promise<KnownProcess> {
  const id = selector?.id ?? "";
  const tag = selector?.tag ?? "";
  if (id !== "" && tag !== "") throw invalidArgument("process: give an id or a tag, not both");
  if (id !== "") return table.byId(id);
  if (tag !== "") return table.byTag(checkedTag(tag));
  throw invalidArgument("process: an id or a tag is required");
}

async function findRunning(table: ProcessTable, selector: ProcessSelector | undefined): Promise<KnownProcess> {
  const found = await findProcess(table, selector);
  if (found.state.status !== "running")
    throw new RpcError(status.FAILED_PRECONDITION, `process ${found.record.id} is ${found.state.status}`);
  return found;
}

function checkedStart(request: StartRequest, dataDir: string, settings: ProcessSettings, baseEnv: NodeJS.ProcessEnv) {
  const hasArgv = request.argv.length > 0;
  if (hasArgv === (request.shell !== "")) throw invalidArgument("give exactly one of argv and shell");
  if (hasArgv && request.argv[0] === "") throw invalidArgument("argv[0] must not be empty");
  const words = hasArgv ? request.argv : [request.shell];
  if (words.some((word) => word.includes("\0"))) throw invalidArgument("the command must not contain NUL bytes");
  if (words.reduce((sum, word) => sum + Buffer.byteLength(word), 0) > 128 * 1024)
    throw invalidArgument("the command is longer than 128 KiB");
  if (request.tag !== "") checkedTag(request.tag);
  const cwd = request.cwd === "" ? dataDir : resolvePath(dataDir, request.cwd);
  let isFolder: boolean;
  try {
    isFolder = statSync(cwd).isDirectory();
  } catch (error) {
    throw invalidArgument(`cwd: ${describeSystemError("stat", cwd, error)}`);
  }
  if (!isFolder) throw invalidArgument(`cwd: ${cwd} is not a directory`);
  const limit = request.outputLimitBytes === 0 ? settings.defaultOutputBytes : request.outputLimitBytes;
  if (limit < MIN_OUTPUT_LIMIT_BYTES || limit > settings.maxOutputBytes) {
    throw invalidArgument(
      `output_limit_bytes must be from ${MIN_OUTPUT_LIMIT_BYTES} to ${settings.maxOutputBytes}, got ${request.outputLimitBytes}`,
    );
  }
  const pty: PtySize | undefined = request.pty ? checkedSize("pty", request.pty) : undefined;
  const env = Object.fromEntries(
    Object.entries(mergeEnv(baseEnv, request.env)).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  if (pty) env.TERM ??= "xterm-256color";
  return {
    tag: request.tag,
    argv: request.argv,
    shell: request.shell,
    cwd,
    env,
    ...(pty ? { pty } : {}),
    outputLimitBytes: limit,
  };
}
