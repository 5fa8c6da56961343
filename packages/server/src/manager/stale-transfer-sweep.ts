import type { Logger } from "pino";

import type { AgentClient } from "../client/index.js";
import { IMPORT_DIR_PREFIX, SERVER_RUN_ID } from "./data-import-scripts.js";

/**
 * Removes what transfers cut short by a stop or a crash left in /data, and
 * only what is provably stale:
 * - an upload's temporary file (the agent's `.<name>.botbox-<hex>.tmp`) last
 *   written before the running agent started: its writer is gone;
 * - an import work folder that another server run made, or that was last
 *   changed before the agent started, unless it holds `old/`: a replace
 *   whose undo failed keeps the bot's previous data there on purpose.
 * The agent's start comes from /proc: the shell's parent is the agent. Run
 * in the agent's data folder; prints one line per entry swept or kept.
 */
const SWEEP_SCRIPT = `set -u
stat_line=$(cat /proc/$PPID/stat) || exit 1
set -- \${stat_line##*) }
shift 19
btime=$(awk '/^btime/ {print $2}' /proc/stat)
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
# A second earlier than the agent's start, rounded down: a file older than this predates the agent.
agent_start=$((btime + $1 / hz - 1))
older() { [ "$(stat -c %Y -- "$1" 2>/dev/null || echo "$agent_start")" -lt "$agent_start" ]; }
for w in ./${IMPORT_DIR_PREFIX}*; do
  [ -d "$w" ] || continue
  if [ -e "$w/old" ]; then echo "kept $w: it holds the data a failed replace kept"; continue; fi
  case "$w" in ./${IMPORT_DIR_PREFIX}"$BOTBOX_RUN_ID"-*) older "$w" || continue ;; esac
  rm -rf -- "$w" && echo "swept $w"
done
find . -xdev -type f -name '.*.botbox-*.tmp' 2>/dev/null | while IFS= read -r f; do
  if older "$f"; then rm -f -- "$f" && echo "swept $f"; fi
done
exit 0`;

/** Sweeps one running bot's /data; logs what went and what was kept, never throws. */
export async function sweepStaleTransfers(agent: AgentClient, botId: string, logger: Logger): Promise<string[]> {
  try {
    const result = await agent.exec(SWEEP_SCRIPT, { env: { BOTBOX_RUN_ID: SERVER_RUN_ID }, timeoutSeconds: 300 });
    const lines = result.stdout.split("\n").filter(Boolean);
    if (result.exitCode !== 0) logger.warn({ botId, stderr: result.stderr.trim() }, "stale transfer sweep failed");
    else if (lines.length > 0) logger.info({ botId, entries: lines }, "swept stale upload and import leftovers");
    return lines;
  } catch (error) {
    logger.warn({ botId, err: error }, "stale transfer sweep failed");
    return [];
  }
}
