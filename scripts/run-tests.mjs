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
import { tmpdir } from "node:os";
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
const filters = args.filter((arg) => arg !== "--unit");
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

// The unit tier runs in TWO processes (one per core of a small machine), each
// importing half of its files from an entry file: loading tsx and the
// server's modules twice instead of once per file halves the tier's CPU time
// (measured 83 s against 173 s). The full suite keeps a process per file,
// where the isolation matters more.
const UNIT_PROCESSES = 2;
let entries = [];
if (unit) {
  const folder = await mkdtemp(path.join(tmpdir(), "botbox-unit-"));
  entries = Array.from({ length: Math.min(UNIT_PROCESSES, selected.length) }, (_, index) =>
    path.join(folder, `unit-${index + 1}.test.ts`),
  );
  for (const [index, entry] of entries.entries()) {
    const share = selected.filter((_, position) => position % entries.length === index);
    const imports = share.map((file) => `import ${JSON.stringify(pathToFileURL(path.resolve(file)).href)};`);
    await writeFile(entry, `${imports.join("\n")}\n`);
  }
}
const child = spawn(
  process.execPath,
  ["--import", "tsx", "--test", "--test-reporter=spec", "--test-concurrency=2", ...(unit ? entries : selected)],
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
