import { optionalInteger, optionalString, ToolArgumentError } from "./args.js";
import { JOBS_TAIL_DEFAULTS } from "./descriptors.js";
import { checkJobId, type JobReport, jobReport, jobStates, killJob, waitForJob } from "./jobs.js";
import { pruneToolOutput } from "./prune.js";
import { toolResult } from "./results.js";
import type { ToolHandler } from "./tool-handler.js";

const ACTIONS = ["list", "status", "wait", "kill"] as const;
type Action = (typeof ACTIONS)[number];

/** The jobs tool: list, status (with the tail of the output), wait (bounded) and kill. */
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
  if (action === "list") {
    return async (client) => toolResult({ jobs: await jobStates(client, "all") });
  }
  const id = checkJobId(optionalString(args, "id")?.trim() ?? "");
  if (action === "status") return async (client) => reportResult(await jobReport(client, id, tail));
  if (action === "kill") return async (client) => reportResult(await killJob(client, id, tail));
  return async (client) => {
    const { timedOut, ...report } = await waitForJob(client, id, waitSeconds, tail);
    return reportResult(report, { timed_out: timedOut });
  };
};

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
