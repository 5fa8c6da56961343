/**
 * Starting and stopping a bot under gVisor (isolation "gvisor"). The bot
 * sees the same file system, agent and socket as under bwrap; gVisor's
 * user-space kernel (the Sentry, on the ptrace platform here) answers its
 * system calls, so a kernel bug reachable from the bot is one in gVisor, not
 * in the host's kernel. Its network namespace comes from `unshare --net` as
 * for a bwrap bot, and the same rules and slirp4netns are attached before
 * the bot's agent starts.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, open, readFile, rm } from "node:fs/promises";
import path from "node:path";

import { ConflictError, UnavailableError } from "../../../errors.js";
import type { EgressPolicy, NetworkMode, StopOptions } from "../../runtime.js";
import { agentCommand, type SandboxPlan } from "../bwrap-args.js";
import type { BotCgroup } from "../cgroups.js";
import type { HostIdentity } from "../host-ids.js";
import { writeJsonFile } from "../json-file.js";
import type { BotPaths } from "../layout.js";
import type { IsolatedNetwork, NetworkTaskRecord } from "../network/index.js";
import { processStartTime, type TaskRecord, waitForExit } from "../task-record.js";
import { writeBundle } from "./oci-bundle.js";
import type { Runsc } from "./runsc.js";

export interface GvisorStart {
  runsc: Runsc;
  /** The read-only root of mount points (oci-bundle.ts, prepareRoot). */
  root: string;
  plan: SandboxPlan;
  paths: BotPaths;
  containerId: string;
  egress?: EgressPolicy;
  env: NodeJS.ProcessEnv;
  identity: HostIdentity;
  network?: IsolatedNetwork;
  cgroup?: BotCgroup;
  warn: (message: string) => Promise<void>;
}

export async function startGvisor(request: GvisorStart): Promise<TaskRecord> {
  const { runsc, paths, plan, containerId } = request;
  const bundleDir = path.join(paths.root, "bundle");
  const pidFile = path.join(bundleDir, "sandbox.pid");
  await mkdir(bundleDir, { recursive: true, mode: 0o700 });
  await runsc.remove(plan.network, containerId);
  await rm(pidFile, { force: true });
  await writeBundle({
    plan,
    root: request.root,
    bundleDir,
    args: await agentCommand(plan.image, plan.staged.codeCache),
    env: request.env,
    identity: request.identity,
  });
  const createArgs = [
    ...runsc.flags(plan.network),
    "create",
    `--bundle=${bundleDir}`,
    `--pid-file=${pidFile}`,
    containerId,
  ];
  // The sandbox inherits the namespace runsc create runs in: a new one for isolated bots.
  const command = request.network
    ? request.network.wrap(runsc.binary, createArgs, { uid: 0, gid: 0 })
    : { command: runsc.binary, args: createArgs };
  const log = await open(paths.log, "a", 0o600);
  let attached: NetworkTaskRecord | undefined;
  try {
    const child = spawn(command.command, command.args, { detached: true, stdio: ["ignore", log.fd, log.fd] });
    const [code] = (await once(child, "exit")) as [number | null];
    if (code !== 0) {
      const tail = (await readFile(paths.log, "utf8").catch(() => "")).slice(-2000).trim();
      throw new UnavailableError(`runsc create exited with ${String(code)}: ${tail}`);
    }
    const pid = Number((await readFile(pidFile, "utf8")).trim());
    const startTime = await processStartTime(pid);
    if (!Number.isInteger(pid) || startTime === undefined)
      throw new UnavailableError("gVisor's sandbox ended right after it was created");
    if (request.network) attached = await request.network.attach(pid, request.egress, paths.log);
    await request.cgroup
      ?.attach(pid)
      .catch((error: unknown) =>
        request.warn(`resource limits not applied: cannot join cgroup: ${(error as Error).message}`),
      );
    await runsc.call(plan.network, ["start", containerId], netnsOf({ pid, network: attached }));
    const task: TaskRecord = {
      pid,
      startTime,
      monitorPid: pid,
      startedAt: new Date().toISOString(),
      gvisor: true,
      ...(attached ? { network: attached } : {}),
    };
    await writeJsonFile(paths.task, task);
    return task;
  } catch (error) {
    await request.network?.detach(attached);
    const pid = Number((await readFile(pidFile, "utf8").catch(() => "")).trim());
    await runsc.remove(plan.network, containerId, request.network && pid > 0 ? `/proc/${pid}/ns/net` : undefined);
    throw error;
  } finally {
    await log.close();
  }
}

/** SIGTERM (or the given signal) to the bot's agent through runsc, then SIGKILL to all after the timeout. */
export async function stopGvisor(
  task: TaskRecord,
  options: StopOptions,
  gvisor: { runsc: Runsc; containerId: string; network: NetworkMode },
): Promise<void> {
  const { runsc, containerId, network } = gvisor;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const netns = netnsOf(task);
  await runsc.call(network, ["kill", containerId, options.signal ?? "SIGTERM"], netns).catch(() => undefined);
  if (!(await waitForExit(task, timeoutMs))) {
    if (options.force === false) throw new ConflictError(`task did not stop within ${timeoutMs} ms`);
    await runsc.call(network, ["kill", "--all", containerId, "SIGKILL"], netns).catch(() => undefined);
    if (!(await waitForExit(task, 5_000))) {
      try {
        process.kill(task.pid, "SIGKILL");
      } catch {
        // Gone meanwhile.
      }
    }
  }
  // The sandbox has gone with its namespace: delete only forgets it.
  await runsc.remove(network, containerId);
}

/** The namespace runsc must be called in for a bot with a network of its own. */
export function netnsOf(task: Pick<TaskRecord, "pid" | "network">): string | undefined {
  return task.network ? `/proc/${task.pid}/ns/net` : undefined;
}
