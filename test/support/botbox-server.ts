import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { followJsonLines } from "./json-lines.js";

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

/** A real `botbox serve` process on a free port with its own home folder. */
export interface BotboxServer {
  readonly url: string;
  readonly home: string;
  readonly adminToken: string;
  readonly child: ChildProcess;
  readonly logs: Record<string, unknown>[];
  /** Sends a JSON request with the admin token (or the given one). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response fields freely
  api(method: string, route: string, body?: unknown, token?: string): Promise<{ status: number; body: any }>;
  /** Stops the server process; bots keep running. */
  stop(): Promise<void>;
}

export async function newHome(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), "botbox-home-"));
}

export async function startBotboxServer(
  options: {
    home?: string;
    env?: NodeJS.ProcessEnv;
  } = {},
): Promise<BotboxServer> {
  const home = options.home ?? (await newHome());
  // For profiling a server under a test or benchmark, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.BOTBOX_PROFILE_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, MAIN, "serve"], {
    env: {
      ...process.env,
      BOTBOX_HOME: home,
      BOTBOX_PORT: "0",
      ...runtimeEnv(),
      DATABASE_URL: "",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let onLine: ((entry: Record<string, unknown>) => void) | undefined;
  const logs = followJsonLines(child.stdout!, (entry) => onLine?.(entry));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`botbox did not start: ${JSON.stringify(logs)}`)), 30_000);
    onLine = (entry) => {
      const match = /^Server listening at (http:\/\/127\.0\.0\.1:\d+)$/.exec(String(entry.msg));
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`botbox exited with ${code}: ${JSON.stringify(logs)}`));
    });
  }).catch((error: unknown) => {
    // A server that did not come up must not outlive the test.
    child.kill("SIGKILL");
    throw error;
  });
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
  // Ready once start-up reconciliation is done.
  for (let i = 0; i < 300 && (await api("GET", "/ready")).status !== 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    home,
    adminToken,
    child,
    logs,
    api,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
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
