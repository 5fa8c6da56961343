import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { chown, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after } from "node:test";
import { fileURLToPath } from "node:url";

import { followJsonLines } from "./json-lines.js";
import { stopChild } from "./stop-child.js";

// The bundle `npm run build` makes: what `npm start` runs, and it starts fast.
const MAIN = fileURLToPath(new URL("../../packages/server/dist/botbox.js", import.meta.url));

/**
 * The runtime backend the servers of the end-to-end suites use (issue 7 §4):
 * `BOTBOX_TEST_RUNTIME=docker` runs them against the Docker backend (the
 * daemon of DOCKER_HOST, inherited), `containerd` against the containerd of
 * BOTBOX_TEST_CONTAINERD_SOCKET; the default is `sandbox`.
 */
export const TEST_RUNTIME = process.env.BOTBOX_TEST_RUNTIME || "sandbox";

/**
 * What a botbox process needs in its environment to use TEST_RUNTIME. Every
 * suite runs on botbox's own defaults (network "isolated", default limits
 * and disk quota) on every backend, as a new user's server would.
 */
export function runtimeEnv(): NodeJS.ProcessEnv {
  return {
    BOTBOX_RUNTIME: TEST_RUNTIME,
    ...(TEST_RUNTIME === "containerd"
      ? { BOTBOX_CONTAINERD_SOCKET_PATH: process.env.BOTBOX_TEST_CONTAINERD_SOCKET ?? "" }
      : {}),
  };
}

/**
 * For `it(name, sandboxOnly("why"), fn)`: a test of what only the sandbox
 * backend has (bwrap processes, host uids, its file layout) skips elsewhere,
 * saying why.
 */
export function sandboxOnly(reason: string): { skip?: string } {
  return TEST_RUNTIME === "sandbox" ? {} : { skip: `${TEST_RUNTIME} backend: ${reason}` };
}

/** One JSON line of the server's log (pino): msg, level, and the entry's fields. */
export type LogEntry = Record<string, unknown>;

/** A real `botbox serve` process on a free port with its own home folder. */
export interface BotboxServer {
  readonly url: string;
  readonly home: string;
  readonly adminToken: string;
  readonly child: ChildProcess;
  readonly logs: LogEntry[];
  /**
   * The first log entry `match` accepts, already written or still to come:
   * for waiting on what the server says it did. Fails after `timeoutMs`
   * (default 10 s) or when the server exits first.
   */
  waitForLog(match: (entry: LogEntry) => boolean, timeoutMs?: number): Promise<LogEntry>;
  /** Sends a JSON request with the admin token (or the given one). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response fields freely
  api(method: string, route: string, body?: unknown, token?: string): Promise<{ status: number; body: any }>;
  /** Stops the server process; bots keep running. */
  stop(): Promise<void>;
}

export async function newHome(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), "botbox-home-"));
}

/**
 * Called inside a `describe`: a maker of fresh homes for the suite's tests,
 * all removed in an `after` hook of its own. Hooks run in the order they
 * are declared: stop the suite's servers in an `after` declared before this.
 */
export function suiteHomes(): () => Promise<string> {
  const homes: string[] = [];
  after(async () => {
    for (const home of homes) await rm(home, { recursive: true, force: true });
  });
  return async () => {
    const home = await newHome();
    homes.push(home);
    return home;
  };
}

/**
 * Homes startBotboxServer made itself, removed when the test process ends:
 * many suites stop their server without removing its home (a restart test
 * needs it until the end), which left a folder per server in /tmp. A home
 * with anything still mounted under it (a bot a failed test left) is kept:
 * removing the files of a live mount is not this hook's business.
 */
const madeHomes = new Set<string>();
process.once("exit", () => {
  const mountinfo = readFileSync("/proc/self/mountinfo", "utf8");
  for (const home of madeHomes)
    if (!mountinfo.includes(` ${home}/`)) rmSync(home, { recursive: true, force: true, maxRetries: 0 });
});

export async function startBotboxServer(
  options: {
    home?: string;
    env?: NodeJS.ProcessEnv;
    /**
     * Runs the server as this unprivileged user (uid = gid, e.g. 65534,
     * nobody) when the test runs as root: a server without root, as a
     * contributor runs it. The home is given to that user.
     */
    asUser?: number;
  } = {},
): Promise<BotboxServer> {
  const home = options.home ?? (await newHome());
  if (options.home === undefined) madeHomes.add(home);
  const switchUser = options.asUser !== undefined && process.getuid?.() === 0;
  if (switchUser) await chown(home, options.asUser!, options.asUser!);
  // For profiling a server under a test or benchmark, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.BOTBOX_PROFILE_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, MAIN, "serve"], {
    env: {
      ...process.env,
      BOTBOX_HOME: home,
      BOTBOX_PORT: "0",
      ...runtimeEnv(),
      DATABASE_URL: "",
      // Every JSON answer an end-to-end test gets is checked against /openapi.json's schemas (http/response-check.ts).
      BOTBOX_CHECK_RESPONSES: "1",
      // root's HOME and PATH folders are not the other user's to read.
      ...(switchUser ? { HOME: tmpdir(), PATH: "/usr/local/bin:/usr/bin:/bin" } : {}),
      ...options.env,
    },
    ...(switchUser ? { uid: options.asUser, gid: options.asUser } : {}),
    stdio: ["ignore", "pipe", "inherit"],
  });
  const listeners = new Set<(entry: LogEntry) => void>();
  const logs = followJsonLines(child.stdout!, (entry) => {
    for (const listener of listeners) listener(entry);
  });
  const waitForLog: BotboxServer["waitForLog"] = (match, timeoutMs = 10_000) =>
    new Promise((resolve, reject) => {
      const written = logs.find(match);
      if (written) return resolve(written);
      if (child.exitCode !== null || child.signalCode !== null)
        return reject(new Error(`botbox has exited: ${JSON.stringify(logs)}`));
      const finish = () => {
        clearTimeout(timer);
        listeners.delete(listener);
        child.off("exit", exited);
      };
      const listener = (entry: LogEntry) => {
        if (!match(entry)) return;
        finish();
        resolve(entry);
      };
      const exited = (code: number | null) => {
        finish();
        reject(new Error(`botbox exited with ${code}: ${JSON.stringify(logs)}`));
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no such log line within ${timeoutMs} ms: ${JSON.stringify(logs)}`));
      }, timeoutMs);
      listeners.add(listener);
      child.once("exit", exited);
    });
  // botbox's own ready line (docs/server.md, "Start-up"): it listens, and
  // start-up reconciliation is over, so /ready answers 200 from then on.
  const ready = await waitForLog(
    (entry) => entry.msg === "botbox ready" && typeof entry.url === "string",
    45_000,
  ).catch((error: unknown) => {
    // A server that did not come up must not outlive the test.
    child.kill("SIGKILL");
    throw new Error(`botbox did not start: ${(error as Error).message}`);
  });
  const url = ready.url as string;
  // A configured admin token is not written to the home's admin-token file.
  const adminToken =
    { ...process.env, ...options.env }.BOTBOX_ADMIN_TOKEN ||
    (await readFile(path.join(home, "admin-token"), "utf8")).trim();
  const api: BotboxServer["api"] = async (method, route, body, token = adminToken) => {
    const response = await fetch(`${url}${route}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  return {
    url,
    home,
    adminToken,
    child,
    logs,
    waitForLog,
    api,
    async stop() {
      await stopChild(child);
    },
  };
}

/**
 * The processes still alive whose command line names the bot's folder in
 * `home`, after waiting up to `waitMs` for them to end: for the sandbox
 * backend, the bot's bwrap processes (its init, and the outer bwrap that
 * waits for it and exits just after). Other backends run no such host
 * process, so this is empty for them.
 */
export async function sandboxProcessesLeft(home: string, botId: string, waitMs = 5_000): Promise<number[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const left = await processesNaming(`${path.join(home, "bots", botId)}/`);
    if (left.length === 0 || Date.now() >= deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function processesNaming(folder: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    // A process that ended meanwhile, or a zombie, has no command line.
    const commandLine = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (commandLine.split("\0").some((arg) => arg.startsWith(folder))) pids.push(Number(entry));
  }
  return pids;
}

/** Whether the process runs: a zombie has ended and only waits to be reaped. */
export async function processRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  // The state follows the command name, which is in parentheses and may hold anything.
  return stat !== "" && stat[stat.lastIndexOf(")") + 2] !== "Z";
}
