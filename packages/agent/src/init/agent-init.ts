/**
 * The init of a workspace: started as `agent.js --botbox-init`, it runs the
 * agent (the same bundle again, without the flag) as its child and starts it
 * again when it dies, so that the workspace, and every supervised process in
 * it, outlives the agent. Before it, the agent was the workspace's main
 * process: its death ended the container, and the kernel killed every keeper
 * with it.
 *
 * - A stop (SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR2: whatever a runtime's
 *   stop sends) is passed to the agent, and the init then exits as the agent
 *   did (its code, or killed by the same signal), so a stopped task still
 *   ends with the agent's exit status.
 * - An agent that dies otherwise (SIGKILL, the memory limit, a crash) is
 *   started again after a bounded backoff (restart-backoff.ts), with a log
 *   line on stderr. Its keepers live on in their own sessions, and the new
 *   agent finds them in the state folder.
 * - An agent that never got as far as listening (a bad setting, a broken
 *   image) is not retried: the init exits with its status, so the runtime
 *   reports a failed start as it did without an init. Nor are restarts that
 *   fail before listening 5 times in a row: the workspace then ends and the
 *   host restarts the bot, as before there was an init.
 * - It binds the agent's socket (MCP_LISTEN_ADDR) once and hands it to each
 *   agent it starts (held-listener.ts), so a restarted agent never has to
 *   replace a socket it may no longer own (the sandbox as root takes it
 *   over), nor race anyone for a TCP port; connections made while no agent
 *   runs wait in the socket's backlog for the next one.
 *
 * It is not PID 1 and does not reap orphans: Node can wait only for children
 * it spawned, so PID 1 stays an init that can (tini in the agent image,
 * bubblewrap's in the sandbox). Keepers are reparented there.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { constants } from "node:os";
import type { Readable } from "node:stream";

import { selfCommand, selfEnv } from "../processes/self-command.js";
import { type HeldListener, holdListener } from "./held-listener.js";
import {
  INIT_FLAG,
  LISTENER_ANSWER,
  LISTENER_REQUEST,
  LISTENER_VARIABLE,
  READY_FD_VARIABLE,
  READY_MESSAGE,
} from "./init-mode.js";
import { type BackoffSettings, DEFAULT_BACKOFF, RestartBackoff } from "./restart-backoff.js";

const STOP_SIGNALS: readonly NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR2"];
/** Passed on without meaning a stop. */
const PASSED_SIGNALS: readonly NodeJS.Signals[] = ["SIGWINCH"];
/** Restarts in a row that end before the agent listens, after which the init gives up. */
const MAX_UNREADY_RESTARTS = 5;
/** Test hook: a shorter backoff, as `initial,max,steady` milliseconds. */
const BACKOFF_VARIABLE = "BOTBOX_INIT_BACKOFF_MS";

/** One JSON line in the agent's (pino's) shape, so both read alike in the bot's log. */
function log(level: number, msg: string, fields: Record<string, unknown> = {}): void {
  const line = { level, time: Date.now(), service: "botbox-init", pid: process.pid, ...fields, msg };
  process.stderr.write(`${JSON.stringify(line)}\n`);
}

function backoffSettings(): BackoffSettings {
  const words = (process.env[BACKOFF_VARIABLE] ?? "").split(",").map(Number);
  delete process.env[BACKOFF_VARIABLE];
  if (words.length !== 3 || !words.every((word) => Number.isInteger(word) && word >= 0)) return DEFAULT_BACKOFF;
  const [initialMs, maxMs, steadyMs] = words as [number, number, number];
  return { initialMs, maxMs, steadyMs };
}

export function runInit(): void {
  const command = selfCommand();
  const agentArgs = process.argv.slice(2).filter((word) => word !== INIT_FLAG);
  const backoff = new RestartBackoff(backoffSettings());
  let agent: ChildProcess | undefined;
  let startedAt = 0;
  let everReady = false;
  let restarts = 0;
  let unreadyRestarts = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let stopSignal: NodeJS.Signals | undefined;

  if (process.pid === 1)
    log(40, "running as PID 1: orphaned processes will not be reaped; run under an init such as tini");
  const listener = holdListener(process.env.MCP_LISTEN_ADDR?.trim() || ":9090");
  if (!listener.handle)
    log(40, "not holding the agent's socket; each agent binds it itself", { reason: listener.reason });

  const finish = (code: number | null, signal: NodeJS.Signals | null) => {
    if (signal) {
      // Die the way the agent did. As PID 1 the kernel ignores a signal
      // without a handler, hence the exit code after it.
      for (const name of [...STOP_SIGNALS, ...PASSED_SIGNALS]) process.removeAllListeners(name);
      process.kill(process.pid, signal);
      setTimeout(() => process.exit(128 + (constants.signals[signal] ?? 0)), 100);
      return;
    }
    process.exit(code ?? 1);
  };

  const start = () => {
    restartTimer = undefined;
    startedAt = Date.now();
    const child = spawn(command[0]!, [...command.slice(1), ...agentArgs], {
      stdio: ["inherit", "inherit", "inherit", "pipe", ...(listener.handle ? (["ipc"] as const) : [])],
      env: {
        ...process.env,
        ...selfEnv(),
        [READY_FD_VARIABLE]: "3",
        ...(listener.handle ? { [LISTENER_VARIABLE]: "ipc" } : {}),
      },
    });
    agent = child;
    handOverListener(child, listener);
    const ready = child.stdio[3] as Readable;
    ready.setEncoding("utf8");
    ready.on("data", (text: string) => {
      if (!text.includes(READY_MESSAGE.trim())) return;
      if (restarts > 0) log(30, "agent listening again", { agentPid: child.pid, restarts });
      everReady = true;
      unreadyRestarts = 0;
    });
    ready.on("error", () => undefined);
    child.once("error", (error) => {
      // Spawning failed (no exit follows): nothing to run.
      log(60, `cannot start the agent: ${error.message}`, { command });
      process.exit(1);
    });
    child.once("exit", (code, signal) => {
      agent = undefined;
      if (stopSignal) return finish(code, signal);
      if (!everReady || unreadyRestarts >= MAX_UNREADY_RESTARTS) {
        log(50, "the agent ended before it was listening; not starting it again", { exitCode: code, signal });
        return finish(code, signal);
      }
      const delayMs = backoff.delayAfter(Date.now() - startedAt);
      restarts += 1;
      unreadyRestarts += 1;
      log(40, "agent ended; starting it again", { exitCode: code, signal, delayMs, restarts });
      restartTimer = setTimeout(start, delayMs);
    });
  };

  for (const signal of STOP_SIGNALS)
    process.on(signal, () => {
      stopSignal ??= signal;
      if (agent) {
        agent.kill(signal);
        return;
      }
      // Between two agents: nothing to stop but the wait.
      clearTimeout(restartTimer);
      finish(0, null);
    });
  for (const signal of PASSED_SIGNALS) process.on(signal, () => agent?.kill(signal));

  start();
}

/** Answers the agent's request for the held socket; the agent then closes the channel. */
function handOverListener(child: ChildProcess, listener: HeldListener): void {
  if (!listener.handle) return;
  child.on("message", (message: unknown) => {
    if ((message as { type?: unknown } | null)?.type !== LISTENER_REQUEST) return;
    // A raw bound handle (no net.Server around it) is what child.send passes as is.
    const handle = listener.handle as unknown as Parameters<ChildProcess["send"]>[1];
    child.send({ type: LISTENER_ANSWER, address: listener.address }, handle, (error) => {
      // The agent died meanwhile: the next one asks again.
      if (error) log(40, `handing the socket to the agent failed: ${error.message}`, { agentPid: child.pid });
    });
  });
}
