import type { AgentClient } from "../client/index.js";
import { commandLineProblem } from "../lib/index.js";
import { boundedInteger, optionalBoolean, ToolArgumentError, trimmedString } from "./args.js";
import { type BoundedOutput, collectBounded } from "./bounded-output.js";
import { JOBS_TAIL_DEFAULTS } from "./descriptors.js";
import { type JobReport, jobsDirOf, type JobState, runForeground, startBackgroundJob } from "./jobs.js";
import { pruneToolOutput } from "./prune.js";
import { toolResult } from "./results.js";
import { adoptMovedJob, lacksSupervisor, startSupervisedJob, supervisorOf } from "./supervised-jobs.js";
import type { ToolHandler, ToolSettings } from "./tool-handler.js";

export const STDOUT_LABEL = "tool result (exec stdout)";
export const STDERR_LABEL = "tool result (exec stderr)";

const DEFAULT_TAIL = { lines: JOBS_TAIL_DEFAULTS.lines, bytes: JOBS_TAIL_DEFAULTS.bytes };

/**
 * The exec tool, plus a timeout argument (the original fixed 30 s), background
 * jobs on the agent's process supervisor (supervised-jobs.ts), and a
 * foreground command that outlives its timeout moved to the background
 * instead of killed (jobs.ts) and handed to the supervisor.
 */
export const execTool: ToolHandler = (args, settings) => {
  const command = trimmedString(args, "command");
  if (command === "") throw new ToolArgumentError("command is required");
  const problem = commandLineProblem(command);
  if (problem) throw new ToolArgumentError(`invalid command: it ${problem}`);
  // Not normalised, as in the original: the agent resolves it (relative ones under the data folder).
  const workDir = trimmedString(args, "work_dir") || settings.dataDir;
  const { defaultSeconds, maxSeconds } = settings.execTimeout;
  const timeout = boundedInteger(args, "timeout", { min: 1, max: maxSeconds, unit: "seconds" });
  const background = optionalBoolean(args, "background") ?? false;
  if (background && timeout !== undefined) {
    throw new ToolArgumentError("invalid timeout: a background job runs until it ends or is killed; omit timeout");
  }
  if (background) return (client) => startInBackground(client, command, workDir);
  return (client) => runInForeground(client, command, workDir, timeout ?? defaultSeconds, settings);
};

async function startInBackground(client: AgentClient, command: string, workDir: string) {
  const processes = supervisorOf(client);
  if (processes) {
    try {
      const job = await startSupervisedJob(processes, command, workDir);
      return toolResult({
        job_id: job.id,
        status: job.status,
        pid: job.pid,
        message: `started background job ${job.id}; use the jobs tool with this id to see its status and output, wait for it or kill it`,
      });
    } catch (error) {
      if (!lacksSupervisor(client, error)) throw error;
    }
  }
  // An agent without the supervisor: a file-based job (jobs.ts).
  const job = await startBackgroundJob(client, command, workDir);
  return toolResult({
    job_id: job.id,
    status: job.status,
    pid: job.pid,
    log: `${await jobsDirOf(client)}/${job.id}.log`,
    message: `started background job ${job.id}; use the jobs tool with this id to see its status and output, wait for it or kill it`,
  });
}

async function runInForeground(
  client: AgentClient,
  command: string,
  workDir: string,
  timeoutSeconds: number,
  settings: ToolSettings,
) {
  if (settings.backgroundOnTimeout) {
    const outcome = await runForeground(client, command, workDir, timeoutSeconds, DEFAULT_TAIL);
    if (outcome.kind === "finished") return execResult(outcome.stdout, outcome.stderr, outcome.exitCode);
    if (outcome.kind === "moved") {
      await adopt(client, outcome.report.state, settings);
      return movedResult(outcome.report, timeoutSeconds);
    }
    // Nothing ran: the job files could not be set up (a read-only data folder, no setsid).
    settings.logger?.warn({ reason: outcome.reason }, "exec: cannot run as a job; running without move-to-background");
  }
  // Streamed, not collected: a command's output can be far larger than the host should hold.
  const result = await collectBounded(client.execStream(command, { workDir, timeoutSeconds }));
  return execResult(result.stdout, result.stderr, result.exitCode);
}

/** Hands a moved command to the supervisor (supervised-jobs.ts); without one it stays a file-based job. */
async function adopt(client: AgentClient, job: JobState, settings: ToolSettings): Promise<void> {
  const processes = supervisorOf(client);
  if (!processes || job.status !== "running") return;
  try {
    await adoptMovedJob(processes, { id: job.id, pid: job.pid, jobsDir: await jobsDirOf(client) });
  } catch (error) {
    if (lacksSupervisor(client, error)) return;
    settings.logger?.warn(
      { err: error, job: job.id },
      "exec: the supervisor could not adopt a moved job; it stays file-based",
    );
  }
}

function execResult(stdout: BoundedOutput, stderr: BoundedOutput, exitCode: number) {
  // A non-zero exit is a result, not a tool error.
  return toolResult({
    stdout: stdout.pruned(STDOUT_LABEL),
    stderr: stderr.pruned(STDERR_LABEL),
    exit_code: exitCode,
  });
}

function movedResult({ state, stdout, stderr }: JobReport, timeoutSeconds: number) {
  const what =
    state.status === "running"
      ? `the command was still running after ${timeoutSeconds}s and keeps running as background job ${state.id}`
      : `the command ended just as its ${timeoutSeconds}s timeout hit; it is kept as job ${state.id}`;
  return toolResult({
    moved_to_background: true,
    job_id: state.id,
    status: state.status,
    exit_code: state.exit_code,
    stdout: pruneToolOutput(stdout, STDOUT_LABEL),
    stderr: pruneToolOutput(stderr, STDERR_LABEL),
    message: `${what}; output so far is shown (the tail). Use the jobs tool with id ${state.id} to see more, wait for it or kill it.`,
  });
}
