/**
 * File-based jobs: commands that outlive the tool call that started them,
 * with their state in files. What every foreground exec runs as (below), and
 * the background jobs of an agent without the process supervisor; on an
 * agent with one, background jobs are supervised processes and a moved
 * foreground command is adopted by one (supervised-jobs.ts, docs/processes.md).
 *
 * Why this shape: the agent's Exec ties a command to its call; a timeout or
 * cancel kills the command's whole process group. A job therefore runs under
 * `setsid`, in a session and process group of its own that the Exec's kill
 * does not reach, and `kill -- -<pid>` still reaches all of the job. Its
 * output goes to files, not to the Exec's pipes, so it survives the call and
 * can be read later. Everything lives in `.botbox/jobs/` under the data
 * folder (`<id>.json` meta, `<id>.log` or `.out`/`.err`, the exit marker
 * `<id>.exit-<code>`), so jobs survive a server restart and work wherever the
 * agent runs; no state is kept on the host. A job's state is derived from
 * files plus liveness: an exit marker (created whole, in one step, by the job
 * or by a kill) means ended, else a live, non-zombie process in its group
 * means running, else "lost".
 *
 * A foreground exec runs the same way but its wrapper waits for the job and
 * relays its output in the same Exec, so a command that finishes in time
 * costs one round trip and leaves nothing behind; one that hits the timeout
 * only loses its wrapper and carries on as a job (job-scripts.ts).
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

import type { AgentClient } from "../client/index.js";
import { BotboxError, NotFoundError } from "../errors.js";
import { ToolArgumentError } from "./args.js";
import { type BoundedOutput, collectBounded } from "./bounded-output.js";
import { decodeTail, execBytes } from "./exec-bytes.js";
import {
  backgroundScript,
  foregroundScript,
  JOBS_DIR,
  killScript,
  reportScript,
  SETUP_FAILED_EXIT,
  statusScript,
  type TailLimits,
} from "./job-scripts.js";

export interface JobMeta {
  /** First in the JSON: the scripts read it with a prefix match (job-scripts.ts). */
  pid: number;
  id: string;
  command: string;
  work_dir: string;
  started_at: string;
  /** "combined": stdout and stderr in <id>.log; "split": <id>.out and <id>.err (a moved foreground command). */
  streams: "combined" | "split";
}

export type JobStatus = "running" | "exited" | "killed" | "lost";

export interface JobState extends JobMeta {
  status: JobStatus;
  /** Null while running, and for a job that ended without recording one. */
  exit_code: number | null;
}

export interface JobReport {
  state: JobState;
  /** Tail of <id>.log (combined), or of <id>.out (split). */
  stdout: string;
  /** Tail of <id>.err (split only). */
  stderr: string;
}

export const JOB_ID_PATTERN = /^job-[0-9a-f]{12}$/;

export const newJobId = (): string => `job-${randomBytes(6).toString("hex")}`;

/** Ids go into file names and scripts: only the exact generated form passes. */
export function checkJobId(id: string): string {
  if (!JOB_ID_PATTERN.test(id)) {
    throw new ToolArgumentError(`invalid id: ${JSON.stringify(id)} is not a job id (job-<12 hex digits>)`);
  }
  return id;
}

const jobsDirs = new WeakMap<AgentClient, Promise<string>>();

/** The absolute jobs folder, for scripts that run in another work dir. One Info call per client. */
export function jobsDirOf(client: AgentClient): Promise<string> {
  let dir = jobsDirs.get(client);
  if (!dir) {
    dir = client.info().then((info) => `${info.dataDir.replace(/\/+$/, "")}/${JOBS_DIR}`);
    dir.catch(() => jobsDirs.delete(client));
    jobsDirs.set(client, dir);
  }
  return dir;
}

/** The workspace could not start a background job: its failure, not the caller's. */
export class JobSetupError extends BotboxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("agent_error", message, options);
  }
}

export async function startBackgroundJob(client: AgentClient, command: string, workDir: string): Promise<JobState> {
  const id = newJobId();
  const startedAt = new Date().toISOString();
  const result = await execBytes(client, backgroundScript(command, await jobsDirOf(client), id), { workDir });
  const pid = Number(result.stdout.toString("utf8").trim());
  if (result.exitCode !== 0 || !Number.isSafeInteger(pid) || pid <= 0) {
    const stderr = result.stderr.toString("utf8").trim();
    throw new JobSetupError(`could not start the background job: ${stderr || `exit code ${result.exitCode}`}`);
  }
  const meta: JobMeta = { pid, id, command, work_dir: workDir, started_at: startedAt, streams: "combined" };
  await writeMeta(client, meta);
  return { ...meta, status: "running", exit_code: null };
}

export type ForegroundOutcome =
  | { kind: "finished"; stdout: BoundedOutput; stderr: BoundedOutput; exitCode: number }
  | { kind: "moved"; report: JobReport }
  | { kind: "setup-failed"; reason: string };

/** The wrapper's pid and exit-code lines are short; a longer start is not theirs. */
const WRAPPER_PREFIX_MAX = 256;

/**
 * Splits the wrapper's first two lines (pid, exit code) off its stdout as it
 * streams; the rest is the command's output.
 */
class WrapperPrefix {
  private buffer = Buffer.alloc(0);
  private done = false;

  /** Takes a chunk; returns the part that belongs to the command's output. */
  take = (chunk: Buffer): Buffer => {
    if (this.done) return chunk;
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const first = this.buffer.indexOf(10);
    const second = first === -1 ? -1 : this.buffer.indexOf(10, first + 1);
    if (second !== -1) {
      this.done = true;
      const rest = this.buffer.subarray(second + 1);
      this.buffer = this.buffer.subarray(0, second + 1);
      return rest;
    }
    if (this.buffer.length > WRAPPER_PREFIX_MAX) {
      // Not the wrapper's lines: keep the start for parsing, pass the rest on.
      this.done = true;
      const rest = this.buffer.subarray(WRAPPER_PREFIX_MAX);
      this.buffer = this.buffer.subarray(0, WRAPPER_PREFIX_MAX);
      return rest;
    }
    return Buffer.alloc(0);
  };

  /** The pid line and the exit-code line, when they came whole. */
  lines(): { pidLine?: string; codeLine?: string } {
    const text = this.buffer.toString("utf8");
    const first = text.indexOf("\n");
    const second = first === -1 ? -1 : text.indexOf("\n", first + 1);
    return {
      pidLine: first === -1 ? undefined : text.slice(0, first),
      codeLine: second === -1 ? undefined : text.slice(first + 1, second),
    };
  }
}

/**
 * Runs a command as a job and waits for it up to the timeout (job-scripts.ts
 * foregroundScript). Output is kept in bounded memory (BoundedOutput).
 */
export async function runForeground(
  client: AgentClient,
  command: string,
  workDir: string,
  timeoutSeconds: number,
  tail: TailLimits,
): Promise<ForegroundOutcome> {
  const id = newJobId();
  const startedAt = new Date().toISOString();
  const jobsDir = await jobsDirOf(client);
  const script = foregroundScript(command, jobsDir, id);
  const prefix = new WrapperPrefix();
  const result = await collectBounded(client.execStream(script, { workDir, timeoutSeconds }), prefix.take);
  const { pidLine, codeLine } = prefix.lines();
  // Both lines and a clean wrapper exit: the command ended in time and its output is complete.
  if (codeLine !== undefined && /^\d+$/.test(codeLine) && result.exitCode === 0) {
    removeFinishedJobFiles(client, `${jobsDir}/${id}`, codeLine);
    return { kind: "finished", stdout: result.stdout, stderr: result.stderr, exitCode: Number(codeLine) };
  }
  const stderrText = () => (result.stderr.text() ?? result.stderr.head().toString("utf8")).trim();
  if (pidLine === undefined || !/^\d+$/.test(pidLine)) {
    if (result.exitCode === SETUP_FAILED_EXIT) return { kind: "setup-failed", reason: stderrText() };
    throw new JobSetupError(`exec failed: ${stderrText() || `exit code ${result.exitCode}`}`);
  }
  // The timeout killed the wrapper; the job carries on (or just ended) on its own.
  const pid = Number(pidLine);
  await writeMeta(client, { pid, id, command, work_dir: workDir, started_at: startedAt, streams: "split" });
  return { kind: "moved", report: await jobReport(client, id, tail) };
}

/** In the background: the answer does not wait for the tidying, and a file left behind harms nothing. */
function removeFinishedJobFiles(client: AgentClient, prefix: string, exitCode: string): void {
  for (const file of [`${prefix}.out`, `${prefix}.err`, `${prefix}.exit-${exitCode}`]) {
    client.deleteFile(file).catch(() => undefined);
  }
}

async function writeMeta(client: AgentClient, meta: JobMeta): Promise<void> {
  await client.writeFile(`${JOBS_DIR}/${meta.id}.json`, `${JSON.stringify(meta)}\n`);
}

/** The states of the given jobs (unknown ids are left out), or of all jobs, oldest first. */
export async function jobStates(client: AgentClient, ids: readonly string[] | "all"): Promise<JobState[]> {
  const result = await execBytes(client, statusScript(ids));
  return parseStatusLines(result.stdout.toString("utf8"));
}

export async function jobReport(client: AgentClient, id: string, tail: TailLimits): Promise<JobReport> {
  const result = await execBytes(client, reportScript(id, tail));
  const newline = result.stdout.indexOf(10);
  const [state] = parseStatusLines(result.stdout.toString("utf8", 0, newline === -1 ? 0 : newline));
  if (!state) throw new NotFoundError(`job ${id} not found`);
  return { state, stdout: decodeTail(result.stdout.subarray(newline + 1)), stderr: decodeTail(result.stderr) };
}

/** Kills the job's whole process group, then reports it like `jobReport`. */
export async function killJob(client: AgentClient, id: string, tail: TailLimits): Promise<JobReport> {
  const [state] = parseStatusLines((await execBytes(client, killScript(id))).stdout.toString("utf8"));
  if (!state) throw new NotFoundError(`job ${id} not found`);
  return jobReport(client, id, tail);
}

/** Polls until the job is no longer running or `seconds` pass. */
export async function waitForJob(
  client: AgentClient,
  id: string,
  seconds: number,
  tail: TailLimits,
  pollMs = 250,
): Promise<JobReport & { timedOut: boolean }> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const [state] = await jobStates(client, [id]);
    if (!state) throw new NotFoundError(`job ${id} not found`);
    if (state.status !== "running" || Date.now() >= deadline) break;
    await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())));
  }
  const report = await jobReport(client, id, tail);
  return { ...report, timedOut: report.state.status === "running" };
}

function parseStatusLines(text: string): JobState[] {
  const states: JobState[] = [];
  for (const line of text.split("\n")) {
    const [id, running, exit, ...json] = line.split("\t");
    if (id === undefined || !JOB_ID_PATTERN.test(id) || json.length === 0) continue;
    const meta = parseMeta(json.join("\t"), id);
    if (!meta) continue;
    const recorded = /^(\d+)(-killed)?$/.exec(exit ?? "");
    const status: JobStatus = recorded ? (recorded[2] ? "killed" : "exited") : running === "1" ? "running" : "lost";
    states.push({ ...meta, status, exit_code: recorded ? Number(recorded[1]) : null });
  }
  return states.sort((a, b) => a.started_at.localeCompare(b.started_at));
}

function parseMeta(json: string, id: string): JobMeta | undefined {
  try {
    const meta = JSON.parse(json) as Partial<JobMeta>;
    if (meta.id !== id || typeof meta.command !== "string" || typeof meta.pid !== "number") return undefined;
    return {
      pid: meta.pid,
      id,
      command: meta.command,
      work_dir: String(meta.work_dir ?? ""),
      started_at: String(meta.started_at ?? ""),
      streams: meta.streams === "split" ? "split" : "combined",
    };
  } catch {
    return undefined;
  }
}
