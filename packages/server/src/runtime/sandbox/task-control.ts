/** Starting and stopping one bot's sandbox. */
import { rename, rm, stat } from "node:fs/promises";
import path from "node:path";

import { ConflictError, UnavailableError } from "../../errors.js";
import { hostnameOf } from "../container-spec.js";
import type { NetworkMode, StopOptions } from "../runtime.js";
import { writeBotEtc } from "./bot-etc.js";
import { bwrapArgs } from "./bwrap-args.js";
import type { BotCgroup } from "./cgroups.js";
import type { ContainerRecord } from "./container-store.js";
import type { Runsc } from "./gvisor/runsc.js";
import { startGvisor, stopGvisor } from "./gvisor/start-gvisor.js";
import type { SandboxImage } from "./images/image-store.js";
import { writeJsonFile } from "./json-file.js";
import type { BotPaths } from "./layout.js";
import type { IsolatedNetwork, NetworkLease, NetworkTaskRecord } from "./network/index.js";
import { seccompProgram } from "./seccomp.js";
import type { StagedFiles } from "./staging.js";
import type { WritableState } from "./state/writable-state.js";
import { launchSandbox } from "./task-launcher.js";
import { type TaskRecord, waitForExit } from "./task-record.js";

const SECCOMP = seccompProgram();
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const LOG_ROTATE_BYTES = 10 * 2 ** 20;

export interface StartRequest {
  bwrapPath: string;
  paths: BotPaths;
  record: ContainerRecord;
  image: SandboxImage;
  staged: StagedFiles;
  state: WritableState;
  /** The bot's cgroups, already created; undefined when limits cannot be applied. */
  cgroup?: BotCgroup;
  /** Set for network "isolated": makes the namespace, loads the rules, attaches slirp4netns. */
  network?: IsolatedNetwork;
  /** Set for isolation "gvisor": the bot runs under runsc instead of bwrap. */
  gvisor?: { runsc: Runsc; root: string };
  switchUser: boolean;
  warn: (message: string) => Promise<void>;
}

export async function startSandbox(request: StartRequest): Promise<TaskRecord> {
  const { paths, record, image } = request;
  const { spec } = record;
  const hostname = hostnameOf(spec.id);
  await rm(paths.socket, { force: true });
  await rotateLog(paths.log);
  await writeBotEtc(paths.etc, hostname, spec.network);
  const stateDir = await request.state.activate();
  const network = request.network;
  const plan = {
    image,
    hostname,
    network: spec.network,
    stateDir,
    runDir: paths.run,
    etcDir: paths.etc,
    staged: request.staged,
  };
  if (request.gvisor) {
    try {
      return await startGvisor({
        ...request.gvisor,
        plan,
        paths,
        containerId: spec.id,
        egress: spec.egress,
        env: agentEnv(record, image),
        identity: record.identity,
        ...(network ? { network } : {}),
        ...(request.cgroup ? { cgroup: request.cgroup } : {}),
        warn: request.warn,
      });
    } catch (error) {
      await request.state.deactivate();
      throw error;
    }
  }
  let lease: NetworkLease | undefined;
  let attaching: Promise<NetworkTaskRecord> | undefined;
  try {
    const args = await bwrapArgs(plan);
    // A namespace made ahead when the pool has one, else one made at launch.
    const leased = (lease = await network?.lease());
    const task = await launchSandbox({
      bwrapPath: request.bwrapPath,
      args,
      env: agentEnv(record, image),
      identity: record.identity,
      switchUser: request.switchUser,
      ...(leased ? { wrap: (command, args) => leased.wrap(command, args, record.identity) } : {}),
      logFile: paths.log,
      statusFile: paths.status,
      ...(SECCOMP ? { seccomp: SECCOMP } : {}),
      beforeRelease: async (pid) => {
        // The network comes up (fresh) or gets the bot's rules (pooled)
        // while the agent boots; the start waits for it below.
        if (leased) {
          attaching = leased.attach(pid, spec.egress, path.join(paths.root, "slirp.log"));
          attaching.catch(() => {});
        }
        await request.cgroup
          ?.attach(pid)
          .catch((error: unknown) =>
            request.warn(`resource limits not applied: cannot join cgroup: ${(error as Error).message}`),
          );
      },
    });
    let attached: NetworkTaskRecord | undefined;
    try {
      attached = await attaching;
    } catch (error) {
      await stopSandbox(task, { timeoutMs: 0 });
      throw error;
    }
    const recorded: TaskRecord = attached ? { ...task, network: attached } : task;
    await writeJsonFile(paths.task, recorded);
    return recorded;
  } catch (error) {
    await lease?.abandon();
    await request.state.deactivate();
    throw error;
  }
}

/**
 * The agent's environment. The image's and the spec's variables come first;
 * the agent's own settings always win, so a spec cannot redirect its socket.
 */
function agentEnv(record: ContainerRecord, image: SandboxImage): NodeJS.ProcessEnv {
  const fromImage = image.kind === "rootfs" ? image.env : [];
  const env: NodeJS.ProcessEnv = { PATH: DEFAULT_PATH, HOME: "/root" };
  for (const entry of fromImage) {
    const equals = entry.indexOf("=");
    if (equals > 0) env[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  return {
    ...env,
    ...record.spec.env,
    MCP_LISTEN_ADDR: "unix:/run/botbox/agent.sock",
    BOTBOX_DATA_DIR: "/data",
    BOTBOX_TEMPLATE_DIR: "/opt/mcp-template",
    BOTBOX_BOT_ID: record.spec.botId,
    BOTBOX_AGENT_TOKEN: record.spec.agentToken,
  };
}

/**
 * Signals the sandbox's process group: its init (which ignores catchable
 * signals, as a namespace's init does) and the agent, which stops gracefully
 * and so ends the sandbox. After `timeoutMs`, SIGKILL to the init takes every
 * process of the sandbox's pid namespace with it.
 */
export async function stopSandbox(
  task: TaskRecord,
  options: StopOptions,
  gvisor?: { runsc: Runsc; containerId: string; network: NetworkMode },
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (task.gvisor) {
    if (!gvisor)
      throw new UnavailableError(`task ${task.pid} runs under gVisor, and runsc is not available to stop it`);
    return stopGvisor(task, options, gvisor);
  }
  signal(-task.pid, options.signal ?? "SIGTERM");
  if (!(await waitForExit(task, timeoutMs))) {
    if (options.force === false) throw new ConflictError(`task did not stop within ${timeoutMs} ms`);
    signal(task.pid, "SIGKILL");
    signal(-task.pid, "SIGKILL");
    if (!(await waitForExit(task, 5_000))) throw new UnavailableError(`task ${task.pid} survived SIGKILL`);
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone already.
  }
}

async function rotateLog(log: string): Promise<void> {
  const size = (await stat(log).catch(() => undefined))?.size ?? 0;
  if (size > LOG_ROTATE_BYTES) await rename(log, `${log}.1`);
}
