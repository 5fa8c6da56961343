import type { AgentClient, ProcessClient, ProcessView } from "../client/index.js";
import { optionalInteger, optionalString, ToolArgumentError } from "./args.js";
import { JOBS_TAIL_DEFAULTS } from "./descriptors.js";
import type { TailLimits } from "./job-scripts.js";
import { checkJobId, type JobReport, jobReport, type JobState, jobStates, killJob, waitForJob } from "./jobs.js";
import { pruneToolOutput } from "./prune.js";
import { toolResult } from "./results.js";
import {
  findJobProcess,
  isAdopter,
  killSupervised,
  lacksSupervisor,
  supervisedJobs,
  supervisedReport,
  supervisorOf,
  waitSupervised,
  waitUpTo,
} from "./supervised-jobs.js";
import type { ToolHandler } from "./tool-handler.js";

const ACTIONS = ["list", "status", "wait", "kill"] as const;
type Action = (typeof ACTIONS)[number];

/**
 * The jobs tool: list, status (with the tail of the output), wait (bounded)
 * and kill. A job is a supervised process tagged with its id
 * (supervised-jobs.ts), or a file-based job (jobs.ts): one an agent without
 * the supervisor ran, one started before the supervisor came, or a moved
 * foreground command, whose files stay the record of its output while a
 * supervised adopter mirrors it.
 */
export const jobsTool: ToolHandler = (args, settings) => {
  const action = optionalString(args, "action")?.trim() ?? "";
  if (!ACTIONS.includes(action as Action)) {
    throw new ToolArgumentError(`invalid action: must be one of ${ACTIONS.join(", ")}`);
  }
  const tail = {
    lines: atMost(args, "tail_lines", JOBS_TAIL_DEFAULTS.lines, JOBS_TAIL_DEFAULTS.maxLines),
    bytes: atMost(args, "tail_bytes", JOBS_TAIL_DEFAULTS.bytes, JOBS_TAIL_DEFAULTS.maxBytes),
  };
  const { defaultSeconds, maxSeconds } = settings.execTimeout;
  const waitSeconds = atMost(args, "timeout", defaultSeconds, maxSeconds);
  if (action === "list") return async (client) => toolResult({ jobs: await allJobs(client) });
  const id = checkJobId(optionalString(args, "id")?.trim() ?? "");
  return async (client) => {
    const found = await lookUp(client, id);
    if (action === "status") return reportResult(await status(client, id, found, tail));
    if (action === "kill") return reportResult(await kill(client, id, found, tail));
    const { timedOut, ...report } = await wait(client, id, found, waitSeconds, tail);
    return reportResult(report, { timed_out: timedOut });
  };
};

/** A job's supervised process (itself, or the adopter of a moved command), when the agent has one. */
type Found = { processes: ProcessClient; view: ProcessView } | undefined;

async function lookUp(client: AgentClient, id: string): Promise<Found> {
  const processes = supervisorOf(client);
  if (!processes) return undefined;
  try {
    const view = await findJobProcess(processes, id);
    return view && { processes, view };
  } catch (error) {
    if (lacksSupervisor(client, error)) return undefined;
    throw error;
  }
}

async function allJobs(client: AgentClient): Promise<JobState[]> {
  let supervised: JobState[] = [];
  const processes = supervisorOf(client);
  if (processes) {
    try {
      supervised = await supervisedJobs(processes);
    } catch (error) {
      if (!lacksSupervisor(client, error)) throw error;
    }
  }
  const fileBased = await jobStates(client, "all");
  // Times, not strings: the supervisor's have whole seconds, the job files' milliseconds.
  return [...supervised, ...fileBased].sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at));
}

function status(client: AgentClient, id: string, found: Found, tail: TailLimits): Promise<JobReport> {
  if (found && !isAdopter(found.view)) return supervisedReport(found.processes, found.view, tail);
  return jobReport(client, id, tail);
}

function kill(client: AgentClient, id: string, found: Found, tail: TailLimits): Promise<JobReport> {
  if (found && !isAdopter(found.view)) return killSupervised(found.processes, found.view, tail);
  // A moved command: its adopter sees the kill and ends the same way.
  return killJob(client, id, tail);
}

async function wait(client: AgentClient, id: string, found: Found, seconds: number, tail: TailLimits) {
  if (found && !isAdopter(found.view)) return waitSupervised(found.processes, found.view, seconds, tail);
  const deadline = Date.now() + seconds * 1000;
  // The adopter ends as the job ends: the supervisor's wait instead of polling files.
  if (found) await waitUpTo(found.processes, found.view, seconds * 1000);
  return waitForJob(client, id, Math.max(0, deadline - Date.now()) / 1000, tail);
}

/** A positive integer, capped at `max` (a wait or a tail larger than allowed is not an error). */
function atMost(args: Record<string, unknown>, name: string, fallback: number, max: number): number {
  const value = optionalInteger(args, name);
  if (value === undefined) return fallback;
  if (value < 1) throw new ToolArgumentError(`invalid ${name}: must be >= 1, got ${value}`);
  return Math.min(value, max);
}

function reportResult({ state, stdout, stderr }: JobReport, extra: Record<string, unknown> = {}) {
  const output =
    state.streams === "combined"
      ? { output: pruneToolOutput(stdout, "tool result (job output)") }
      : {
          stdout: pruneToolOutput(stdout, "tool result (job stdout)"),
          stderr: pruneToolOutput(stderr, "tool result (job stderr)"),
        };
  return toolResult({ ...state, ...extra, ...output });
}
