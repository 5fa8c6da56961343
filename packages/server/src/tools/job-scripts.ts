import { shellQuote as q } from "../lib/index.js";

/**
 * The POSIX sh scripts behind jobs (see jobs.ts for the design), one Exec
 * each. Scripts that run in the user's work dir get absolute job file paths;
 * the others run in the data folder and use relative ones.
 *
 * Process spawns dominate their cost (several ms each on a loaded or
 * sandboxed machine), so the foreground path spawns only what it must and
 * uses shell builtins for the rest: the exit code is recorded in a file's
 * name (creating a name is atomic, with no temp file and no `mv` process);
 * the pid is read from the meta JSON by parameter expansion; empty output
 * files are not `cat`; cleanup runs detached from the wrapper.
 */
export const JOBS_DIR = ".botbox/jobs";
/** A wrapper that could not prepare the job files exits with this and runs nothing. */
export const SETUP_FAILED_EXIT = 97;

export interface TailLimits {
  lines: number;
  bytes: number;
}

/**
 * The job itself, run by `setsid /bin/sh -c`, like the agent runs commands, in its own session and process group.
 * An EXIT trap records the exit code as the empty file `<id>.exit-<code>`
 * whatever ends the shell (the command's own `exit`, a syntax error), and
 * costs no subshell; a shell with a trap set never execs its last command
 * in place, so the trap always runs.
 */
export function runnerScript(command: string, prefix: string): string {
  return `trap ${q(`: >${q(prefix)}.exit-"$?"`)} EXIT; eval ${q(command)}`;
}

function setupScript(jobsDir: string): string {
  return [
    `[ -d ${q(jobsDir)} ] || mkdir -p ${q(jobsDir)} || exit ${SETUP_FAILED_EXIT}`,
    `command -v setsid >/dev/null 2>&1 || { echo 'botbox: setsid is not installed' >&2; exit ${SETUP_FAILED_EXIT}; }`,
  ].join("\n");
}

/** Starts a job writing stdout and stderr together to <id>.log; prints its pid. */
export function backgroundScript(command: string, jobsDir: string, id: string): string {
  const prefix = `${jobsDir}/${id}`;
  return [
    setupScript(jobsDir),
    `setsid /bin/sh -c ${q(runnerScript(command, prefix))} >${q(`${prefix}.log`)} 2>&1 </dev/null &`,
    `echo "$!"`,
  ].join("\n");
}

/**
 * Runs a command as a job and waits for it: prints the pid, then the exit
 * code, then the job's stdout (and its stderr on stderr); the caller removes
 * the files (RPCs are cheaper than an `rm` process). If the Exec's timeout
 * kills this wrapper first, the job lives on with its files; the missing
 * exit-code line tells the caller so.
 */
export function foregroundScript(command: string, jobsDir: string, id: string): string {
  const prefix = `${jobsDir}/${id}`;
  const out = q(`${prefix}.out`);
  const err = q(`${prefix}.err`);
  return [
    setupScript(jobsDir),
    `setsid /bin/sh -c ${q(runnerScript(command, prefix))} >${out} 2>${err} </dev/null &`,
    `p=$!`,
    `echo "$p"`,
    `wait "$p"`,
    `echo "$?"`,
    `[ -s ${out} ] && cat ${out}`,
    `[ -s ${err} ] && cat ${err} >&2`,
    `exit 0`,
  ].join("\n");
}

/**
 * True while any process of group $1 is alive. Zombies do not count: where
 * PID 1 does not reap, a finished job's processes linger as zombies, which
 * `kill -0` would call alive. Falls back to `kill -0` without /proc.
 */
const GROUP_ALIVE = `group_alive() {
  g=$1
  if [ -r /proc/self/stat ]; then
    for s in /proc/[0-9]*/stat; do
      read -r l 2>/dev/null <"$s" || continue
      set -- \${l##*") "}
      [ "$3" = "$g" ] && [ "$1" != Z ] && [ "$1" != X ] && return 0
    done
    return 1
  fi
  kill -s 0 -- "-$g" 2>/dev/null
}`;

/** Sets e to the recorded exit of job $1 ("<code>" or "<code>-killed"), or "". */
const EXIT_OF = `exit_of() {
  e=
  for x in "$1".exit-*; do [ -e "$x" ] && { e=\${x#"$1".exit-}; return; }; done
}`;

/** Sets p to the pid in job $1's meta JSON, whose first key is "pid". */
const PID_OF = `pid_of() {
  p=; j=; read -r j <"$1.json" || [ -n "$j" ] || return 1
  p=\${j#*'"pid":'}; p=\${p%%[!0-9]*}
}`;

/**
 * For each job, one line: id, 1 if running, the recorded exit, the meta JSON,
 * tab-separated. The exit is looked up again after a failed liveness check,
 * since a job records it just before it ends.
 */
function statusLoop(ids: readonly string[] | "all"): string {
  const files = ids === "all" ? "job-*.json" : ids.map((id) => q(`${id}.json`)).join(" ");
  return `for m in ${files}; do
  [ -f "$m" ] || continue
  i=\${m%.json}
  pid_of "$i" || continue
  exit_of "$i"
  a=0
  if [ -z "$e" ]; then
    if [ -n "$p" ] && group_alive "$p"; then a=1; else exit_of "$i"; fi
  fi
  printf '%s\\t%s\\t%s\\t%s\\n' "$i" "$a" "$e" "$j"
done`;
}

const prelude = [`cd ${JOBS_DIR} 2>/dev/null || exit 0`, GROUP_ALIVE, EXIT_OF, PID_OF].join("\n");

/** Status lines of some or all jobs. Runs in the data folder. */
export function statusScript(ids: readonly string[] | "all"): string {
  return [prelude, statusLoop(ids)].join("\n");
}

/**
 * One job's status line, then the tail of its output: <id>.log on stdout for a
 * background job; <id>.out on stdout and <id>.err on stderr for a foreground
 * command moved to the background.
 */
export function reportScript(id: string, tail: TailLimits): string {
  const tailOf = (file: string) => `tail -n ${tail.lines} ${q(file)} 2>/dev/null | tail -c ${tail.bytes}`;
  return [
    statusScript([id]),
    `if [ -f ${q(`${id}.log`)} ]; then ${tailOf(`${id}.log`)}`,
    `else ${tailOf(`${id}.out`)}; { ${tailOf(`${id}.err`)}; } >&2; fi`,
  ].join("\n");
}

/**
 * Kills every process of the job's group (the job started its own session,
 * so nothing else shares it), waits up to ~2 s until they are gone, and
 * records 137 (128 + SIGKILL) unless the job recorded its own exit first.
 * The `<id>.killing` mark, made before the kill, tells a moved job's adopter
 * that finds the group gone with no record yet that one is coming.
 */
export function killScript(id: string): string {
  return [
    prelude,
    `if pid_of ${q(id)} && [ -n "$p" ] && group_alive "$p"; then`,
    `  : >${q(`${id}.killing`)}`,
    `  kill -s KILL -- "-$p" 2>/dev/null`,
    `  n=0; while group_alive "$p" && [ "$n" -lt 200 ]; do n=$((n + 1)); sleep 0.01; done`,
    `  exit_of ${q(id)}; [ -n "$e" ] || : >${q(`${id}.exit-137-killed`)}`,
    `fi`,
    statusLoop([id]),
  ].join("\n");
}

/** How an adopter's command starts: how the jobs tool tells an adopter from a job. */
export const ADOPTER_MARK = ": botbox adopts moved exec job";
/** The adopter's script goes in its environment, so that its command is one line `botbox ps` can show. */
export const ADOPTER_SCRIPT_ENV = "BOTBOX_ADOPTER_SCRIPT";

/** The adopter's command line: it names the job and runs the script from the environment. */
export function adopterCommand(id: string, pid: number): string {
  return `${ADOPTER_MARK} ${id}, process group ${pid}; eval "$${ADOPTER_SCRIPT_ENV}"`;
}

/** Seconds between the adopter's looks at the job: output reaches the supervisor's log this late at most. */
const ADOPTER_POLL_SECONDS = 0.5;
/** Past killScript's own wait (~2 s) for the group to go, after which it records the kill. */
const KILL_RECORD_WAIT_SECONDS = 5;

/**
 * The supervised script that adopts a moved foreground job (supervised-jobs.ts
 * adoptMovedJob). Runs in the jobs folder. Copies the bytes <id>.out and
 * <id>.err gained since its last look to its stdout and stderr (exactly the
 * bytes counted before the copy: the files only grow), until the job
 * recorded its exit or its group is gone; then copies the rest and ends as
 * the job did: with its exit code, or killed by the signal that killed it
 * (a `-killed` record, or a TERM, INT or HUP it forwarded), so the
 * supervisor records the same end. A group that the jobs tool is killing
 * (its `.killing` mark) is gone before the kill's record is written: the
 * adopter waits up to KILL_RECORD_WAIT_SECONDS for it. A job that ended
 * without a record is "lost" to the jobs tool; the adopter says so and
 * exits 255.
 */
export function adopterScript(id: string, pid: number): string {
  const forward = (signal: string) => `trap 'sig=${signal}; kill -s ${signal} -- "-$p" 2>/dev/null' ${signal}`;
  return [
    `i=${q(id)}; p=${pid}; sig=; o=0; r=0`,
    // The job's stderr goes out on fd 3; the shell's own notes (a "Terminated" sleep) nowhere.
    `exec 3>&2 2>/dev/null`,
    GROUP_ALIVE,
    EXIT_OF,
    forward("TERM"),
    forward("INT"),
    forward("HUP"),
    `relay() {
  set -- $(wc -c "$i.out" "$i.err" 2>/dev/null) 0 0 0 0
  if [ "$1" -gt "$o" ]; then tail -c +$((o + 1)) "$i.out" | head -c $(($1 - o)); o=$1; fi
  if [ "$3" -gt "$r" ]; then tail -c +$((r + 1)) "$i.err" | head -c $(($3 - r)) >&3; r=$3; fi
}`,
    `while exit_of "$i"; [ -z "$e" ] && group_alive "$p"; do relay; sleep ${ADOPTER_POLL_SECONDS}; done`,
    `exit_of "$i"`,
    `w=0; while [ -z "$e" ] && [ -e "$i.killing" ] && [ "$w" -lt ${KILL_RECORD_WAIT_SECONDS * 10} ]; do`,
    `  w=$((w + 1)); sleep 0.1; exit_of "$i"`,
    `done`,
    `relay`,
    // sig, not s: group_alive uses s.
    `if [ -z "$e" ] && [ -n "$sig" ]; then`,
    `  case $sig in TERM) n=15;; INT) n=2;; *) n=1;; esac`,
    `  : >"$i.exit-$((128 + n))-killed"; e=$((128 + n))-killed`,
    `fi`,
    `case $e in`,
    `  '') echo "botbox: job $i ended without recording an exit code (lost)" >&3; exit 255;;`,
    `  *-killed) n=\${e%-killed}; trap - TERM INT HUP`,
    `    case $n in 137) kill -s KILL $$;; 143) kill -s TERM $$;; 130) kill -s INT $$;; 129) kill -s HUP $$;; esac`,
    `    exit "$n";;`,
    `  *) exit "$e";;`,
    `esac`,
  ].join("\n");
}
