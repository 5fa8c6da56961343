// Runs every *.test.ts of the repository with Node's own test runner (through
// tsx) and ends with a plain "N passed, N failed" line.
//
// `--unit` (npm run test:unit) runs only the tier a contributor can run
// without root, daemons or network: the unit tests beside the code, and the
// suites under test/ that use real agents as plain processes (the
// FakeRuntime, startAgentProcess) or loopback only. A list, not a naming
// convention, so that joining the tier is a decision: a file joins when it
// passes as an unprivileged user (docs/testing.md says how to check).
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const roots = ["proto/src", "packages", "test"];
const skip = new Set(["node_modules", "dist", "gen"]);

async function findTests(folder) {
  const found = [];
  for (const entry of await readdir(folder, { withFileTypes: true }).catch(() => [])) {
    if (skip.has(entry.name)) continue;
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) found.push(...(await findTests(full)));
    else if (entry.name.endsWith(".test.ts")) found.push(full);
  }
  return found;
}

/** The unit tier: paths (or folders, ending in /) relative to the repository. */
const UNIT_TESTS = [
  "proto/src/",
  "packages/",
  "test/agent/",
  "test/client/",
  "test/docs/",
  "test/cli/command-line.test.ts",
  "test/data/data-routes.test.ts",
  "test/data/data-transfer.test.ts",
  "test/manager/bot-manager-fake.test.ts",
  "test/manager/reconcile-fake.test.ts",
  "test/manager/snapshots-fake.test.ts",
  "test/manager/supervisor-fake.test.ts",
  "test/media/media-service.test.ts",
  "test/memory/file-limits.test.ts",
  "test/memory/file-store.test.ts",
  "test/memory/round-trip.test.ts",
  "test/memory/runtime.test.ts",
  "test/ports/agent-tunnel.test.ts",
  "test/runtime/fake-contract.test.ts",
  "test/security/files-no-follow.test.ts",
  "test/skills/load-skills.test.ts",
  "test/store/sqlite.test.ts",
  "test/tools/",
];
/** Under the folders above, but needing root: per-bot host uids are given out only as root. */
const NOT_UNIT = ["packages/server/src/runtime/sandbox/host-ids.test.ts"];

const args = process.argv.slice(2);
const unit = args.includes("--unit");
const list = args.includes("--list");
const filters = args.filter((arg) => arg !== "--unit" && arg !== "--list");
let files = (await Promise.all(roots.map(findTests))).flat().sort();
if (unit)
  files = files.filter(
    (file) =>
      !NOT_UNIT.includes(file) &&
      UNIT_TESTS.some((entry) => (entry.endsWith("/") ? file.startsWith(entry) : file === entry)),
  );
const selected = filters.length ? files.filter((file) => filters.some((filter) => file.includes(filter))) : files;
const startedAt = Date.now();
if (selected.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
// `--list`: print the files that would run, one a line, and run none (for
// timing each file alone: docs/testing.md).
if (list) {
  console.log(selected.join("\n"));
  process.exit(0);
}

// The unit tier runs in a few processes, each importing its share of the
// files from one entry file: loading tsx and the server's modules once per
// process instead of once per file halves the tier's CPU time (measured 83 s
// against 173 s). Inside a process the files' suites run one after another,
// and many of them wait (agents starting, processes ending, timers), so more
// processes than cores let one's waits overlap another's work; each process
// more costs 2 to 4 s of CPU to load its modules. Measured on a two-core
// machine (6 December 2026, `BOTBOX_UNIT_PROCESSES=N node scripts/run-tests.mjs
// --unit`): quiet, 2 processes 31 s, 3 processes 25.5 to 27 s, 4 processes
// 26 s; with idle Docker and containerd daemons beside, 3 processes 28.5 and
// 30 s, 4 processes 26.7 and 26.8 s. Hence two per core. The shares are
// balanced by each file's measured time (UNIT_SECONDS), heaviest first onto
// the least loaded process, not by count: a handful of files take most of
// the time. At most 8: past that the heaviest file alone sets the time.
// BOTBOX_UNIT_PROCESSES overrides it. The full suite keeps a process per
// file, where the isolation matters more.
const UNIT_PROCESSES =
  Number(process.env.BOTBOX_UNIT_PROCESSES) || Math.min(8, Math.max(3, 2 * availableParallelism()));
/**
 * Seconds each of the unit tier's slower files takes alone, less the ~0.5 s
 * any file takes to start (`node --import tsx --test <file>`, quiet two-core
 * machine). A file not listed counts DEFAULT_UNIT_SECONDS. Only the balance
 * between processes depends on these; re-measure when a file changes much.
 */
const UNIT_SECONDS = {
  // Measured 6 December 2026, 00:56 UTC, at a load average of 2.5 to 3.
  // 04:20 UTC: scaled by A/B runs at load 8 to 10 after the 1 s waits overlapped (docs/testing.md).
  "test/tools/jobs-supervisor.test.ts": 6.5,
  "test/agent/process.test.ts": 8.3,
  "test/agent/processes.test.ts": 6.6,
  "test/tools/jobs.test.ts": 3.5,
  "test/tools/exec-tool.test.ts": 4.6,
  "test/manager/bot-manager-fake.test.ts": 4.2,
  "test/memory/round-trip.test.ts": 4.1,
  "test/ports/agent-tunnel.test.ts": 2.8,
  "test/agent/exec.test.ts": 3.8,
  "test/agent/processes-input.test.ts": 3.5,
  "test/runtime/fake-contract.test.ts": 3.4,
  "test/agent/processes-restart.test.ts": 3.0,
  "test/agent/processes-pty.test.ts": 3.4,
  "packages/server/src/manager/supervisor.test.ts": 2.8,
  "packages/server/src/tools/job-scripts.test.ts": 1.6,
  "test/memory/runtime.test.ts": 2.7,
  "test/cli/command-line.test.ts": 2.7,
  "test/manager/reconcile-fake.test.ts": 2.5,
  "test/data/data-transfer.test.ts": 2.5,
  "test/docs/layering.test.ts": 2.4,
  "test/manager/supervisor-fake.test.ts": 2.2,
  "packages/server/src/manager/wait-for-agent.test.ts": 2.1,
  "packages/server/src/manager/default-limits.test.ts": 2.1,
  "test/memory/file-limits.test.ts": 2.0,
  "test/manager/snapshots-fake.test.ts": 2.0,
  "test/agent/files.test.ts": 2.0,
  "test/security/files-no-follow.test.ts": 1.7,
  "test/store/sqlite.test.ts": 1.6,
  "test/memory/file-store.test.ts": 1.6,
  "test/data/data-routes.test.ts": 1.6,
  "test/tools/file-tools.test.ts": 1.5,
  "test/client/pool.test.ts": 1.2,
  "test/agent/read-file.test.ts": 1.2,
  "packages/agent/src/processes/output-log.test.ts": 1.2,
  "packages/server/src/tools/bounded-output.test.ts": 1.1,
  "packages/server/src/ports/port-origin.test.ts": 1.1,
  "packages/server/src/memory/file-store-text.test.ts": 1.1,
  "test/client/agent-client.test.ts": 1.0,
  "test/agent/listing.test.ts": 1.0,
  "packages/server/src/memory/timestamps.test.ts": 1.0,
  "test/media/media-service.test.ts": 0.9,
  "packages/server/src/cli/connection-limits.test.ts": 0.9,
  // Scaled from A/B runs at load 8 to 10 (9.5 s wall there, as jobs-supervisor).
  "test/agent/watch.test.ts": 5,
};
const DEFAULT_UNIT_SECONDS = 0.3;

/** Files into `count` shares of about equal measured time: heaviest first, each onto the lightest share. */
function balancedShares(files, count) {
  const shares = Array.from({ length: count }, () => ({ seconds: 0, files: [] }));
  const weight = (file) => UNIT_SECONDS[file] ?? DEFAULT_UNIT_SECONDS;
  for (const file of [...files].sort((a, b) => weight(b) - weight(a))) {
    const lightest = shares.reduce((best, share) => (share.seconds < best.seconds ? share : best));
    lightest.seconds += weight(file);
    lightest.files.push(file);
  }
  return shares.map((share) => share.files);
}

let entries = [];
if (unit) {
  const folder = await mkdtemp(path.join(tmpdir(), "botbox-unit-"));
  const shares = balancedShares(selected, Math.min(UNIT_PROCESSES, selected.length));
  // .mjs: an ES module, as the test files are when run alone (a .ts entry
  // outside the repository would be CommonJS, and so would every file it loads).
  entries = shares.map((_, index) => path.join(folder, `unit-${index + 1}.test.mjs`));
  for (const [index, share] of shares.entries()) {
    const imports = share.map((file) => `import ${JSON.stringify(pathToFileURL(path.resolve(file)).href)};`);
    await writeFile(entries[index], `${imports.join("\n")}\n`);
  }
}
// The unit tier's processes run many tests each: there the runner's own
// bookkeeping of promises costs about a seventh of a test process's CPU,
// which scripts/test-runner-hooks.mjs cuts (read it for how and why).
const runnerHooks = unit ? ["--import", pathToFileURL(path.resolve("scripts/test-runner-hooks.mjs")).href] : [];
const child = spawn(
  process.execPath,
  [
    "--import",
    "tsx",
    ...runnerHooks,
    "--test",
    "--test-reporter=spec",
    `--test-concurrency=${unit ? entries.length : 2}`,
    ...(unit ? entries : selected),
  ],
  { stdio: ["ignore", "pipe", "inherit"] },
);
let output = "";
child.stdout.setEncoding("utf8").on("data", (text) => {
  output += text;
  process.stdout.write(text);
});
child.on("exit", async (code) => {
  if (entries.length > 0) await rm(path.dirname(entries[0]), { recursive: true, force: true });
  const count = (name) => Number(new RegExp(`^ℹ ${name} (\\d+)$`, "m").exec(output)?.[1] ?? 0);
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  // The summary line stays exactly "N passed, N failed, N skipped": .ci/run
  // adds these up. A test cancelled (its file or hook died) counts as failed.
  console.log(`\n${unit ? "unit tier, " : ""}${seconds} s`);
  console.log(`${count("pass")} passed, ${count("fail") + count("cancelled")} failed, ${count("skipped")} skipped`);
  process.exit(code ?? 1);
});
