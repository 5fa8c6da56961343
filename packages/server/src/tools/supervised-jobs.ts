/**
 * Background jobs on the agent's process supervisor (docs/processes.md,
 * "The LLM tools' jobs"): a job is a supervised process whose tag is its job
 * id, so `botbox ps` lists it, `botbox logs <bot> <job id>` shows its output
 * and it outlives the host server and the agent. The agent keeps its state,
 * output log and exit status; nothing is kept on the host.
 *
 * An agent without the supervisor (one older than it, or the original's)
 * answers UNIMPLEMENTED; callers then use the file-based jobs (jobs.ts).
 */

import { type AgentClient, type ProcessClient, processClientFor, type ProcessView } from "../client/index.js";
import { AgentError, BotboxError, NotFoundError } from "../errors.js";
import { decodeTail } from "./exec-bytes.js";
import { ADOPTER_MARK, ADOPTER_SCRIPT_ENV, adopterCommand, adopterScript, type TailLimits } from "./job-scripts.js";
import { JOB_ID_PATTERN, type JobReport, JobSetupError, type JobState, newJobId } from "./jobs.js";

/** Agents that answered UNIMPLEMENTED: asked once per client, not on every call. */
const withoutSupervisor = new WeakSet<AgentClient>();

/** The supervisor of the client's agent on the client's own channel, or undefined when it has none. */
export function supervisorOf(client: AgentClient): ProcessClient | undefined {
  if (withoutSupervisor.has(client)) return undefined;
  return processClientFor(client);
}

/** True for the error of an agent that has no process supervisor; remembers it for the client. */
export function lacksSupervisor(client: AgentClient, error: unknown): boolean {
  if (!(error instanceof AgentError && error.grpcCode === "UNIMPLEMENTED")) return false;
  withoutSupervisor.add(client);
  return true;
}

/** Starts a background job as a supervised process tagged with its job id. */
export async function startSupervisedJob(
  processes: ProcessClient,
  command: string,
  workDir: string,
): Promise<JobState> {
  const id = newJobId();
  let view: ProcessView;
  try {
    view = await processes.start({ shell: command }, { tag: id, cwd: workDir });
  } catch (error) {
    if (error instanceof BotboxError && error.code === "bad_request") throw error; // a missing work_dir: the LLM's to fix
    if (error instanceof AgentError && error.grpcCode === "UNIMPLEMENTED") throw error;
    throw new JobSetupError(`could not start the background job: ${(error as Error).message}`, { cause: error });
  }
  // No one types into a job: a command that reads stdin gets end of input, as a job with </dev/null did.
  await processes.closeInput({ id: view.id }).catch(() => undefined);
  return jobState(view);
}

/**
 * Hands a foreground command that outlived its timeout (a file-based job
 * now, jobs.ts) to the supervisor: a small supervised script tagged with the
 * job id copies the job's output files into its own output as they grow,
 * forwards TERM, INT and HUP to the job's group, and ends as the job ended.
 * Best effort: when it cannot start, the job goes on as a file-based job.
 */
export async function adoptMovedJob(
  processes: ProcessClient,
  job: { id: string; pid: number; jobsDir: string },
): Promise<ProcessView> {
  const view = await processes.start(
    { shell: adopterCommand(job.id, job.pid) },
    { tag: job.id, cwd: job.jobsDir, env: { [ADOPTER_SCRIPT_ENV]: adopterScript(job.id, job.pid) } },
  );
  await processes.closeInput({ id: view.id }).catch(() => undefined);
  return view;
}

/** A supervised process that adopted a moved foreground command, not a job run by the supervisor itself. */
export const isAdopter = (view: ProcessView): boolean => view.shell.startsWith(ADOPTER_MARK);

/** The supervised jobs (not the adopters), oldest first. */
export async function supervisedJobs(processes: ProcessClient): Promise<JobState[]> {
  const views = await processes.list();
  return views.filter((view) => JOB_ID_PATTERN.test(view.tag) && !isAdopter(view)).map(jobState);
}

/** The newest process tagged with the job id, or undefined. */
export async function findJobProcess(processes: ProcessClient, id: string): Promise<ProcessView | undefined> {
  try {
    return await processes.get({ tag: id });
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/**
 * A supervised job's state: "killed" when a signal ended it (a kill, the
 * jobs tool's or anyone's), "lost" when its keeper vanished before recording
 * an exit.
 */
export function jobState(view: ProcessView): JobState {
  const status =
    view.status === "running" || view.status === "unresponsive"
      ? "running"
      : view.status === "lost"
        ? "lost"
        : view.signal
          ? "killed"
          : "exited";
  return {
    pid: view.pid,
    id: view.tag,
    command: view.shell,
    work_dir: view.cwd,
    started_at: view.startedAt,
    streams: "combined",
    status,
    exit_code: view.exitCode ?? null,
  };
}

export async function supervisedReport(
  processes: ProcessClient,
  view: ProcessView,
  tail: TailLimits,
): Promise<JobReport> {
  return { state: jobState(view), stdout: await outputTail(processes, view, tail), stderr: "" };
}

/**
 * The end of the job's output log, stdout and stderr as they came: the last
 * `tail.lines` lines, at most `tail.bytes` bytes (what `tail -n | tail -c`
 * gave for a job's log file). The last `bytes` bytes hold the answer either
 * way, so only they are read.
 */
async function outputTail(processes: ProcessClient, view: ProcessView, tail: TailLimits): Promise<string> {
  const from = Math.max(view.droppedBytes, view.outputBytes - tail.bytes);
  const chunks: Buffer[] = [];
  for await (const event of processes.attach({ id: view.id }, { offset: from, follow: false })) {
    if (event.type === "output") chunks.push(event.data);
  }
  let bytes = Buffer.concat(chunks);
  bytes = bytes.subarray(Math.max(0, bytes.length - tail.bytes));
  // Lines counted from the end: a final newline ends the last line, it does not start another.
  let cut = bytes.length - (bytes.at(-1) === 10 ? 1 : 0);
  for (let line = 0; line < tail.lines && cut > 0; line++) cut = bytes.lastIndexOf(10, cut - 1);
  return decodeTail(cut > 0 ? bytes.subarray(cut + 1) : bytes);
}

/** Waits up to `seconds` for the job to end (the supervisor answers as it ends: no polling). */
export async function waitSupervised(
  processes: ProcessClient,
  view: ProcessView,
  seconds: number,
  tail: TailLimits,
): Promise<JobReport & { timedOut: boolean }> {
  const waited = view.status === "running" ? await waitUpTo(processes, view, seconds * 1000) : view;
  return { ...(await supervisedReport(processes, waited, tail)), timedOut: waited.status === "running" };
}

/** The agent's longest Wait; a longer one (exec timeouts go up to a day) is several. */
const AGENT_WAIT_MAX_MS = 600_000;

/** The process once it ended, or as it is after `ms`. */
export async function waitUpTo(processes: ProcessClient, view: ProcessView, ms: number): Promise<ProcessView> {
  const deadline = Date.now() + ms;
  let current = view;
  while (current.status === "running") {
    const left = deadline - Date.now();
    if (left <= 0) break;
    current = await processes.wait({ id: view.id }, Math.min(left, AGENT_WAIT_MAX_MS));
  }
  return current;
}

/** How long a kill waits for the job's group to be gone before answering. */
const KILL_SETTLE_MS = 2000;

/** SIGKILL to the job's whole process group, then its report once the supervisor recorded the end. */
export async function killSupervised(
  processes: ProcessClient,
  view: ProcessView,
  tail: TailLimits,
): Promise<JobReport> {
  let current = view;
  if (current.status === "running") {
    try {
      await processes.signal({ id: view.id }, "SIGKILL");
    } catch (error) {
      // It ended between the look-up and the signal: nothing to kill, report it as it ended.
      if (!(error instanceof AgentError && error.grpcCode === "FAILED_PRECONDITION")) throw error;
    }
    current = await processes.wait({ id: view.id }, KILL_SETTLE_MS);
  }
  return supervisedReport(processes, current, tail);
}
