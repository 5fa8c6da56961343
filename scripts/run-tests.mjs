// Runs every *.test.ts of the repository with Node's own test runner (through
// tsx) and ends with a plain "N passed, N failed" line.
import { spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import path from "node:path";

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

const filters = process.argv.slice(2);
const files = (await Promise.all(roots.map(findTests))).flat().sort();
const selected = filters.length ? files.filter((file) => filters.some((filter) => file.includes(filter))) : files;
if (selected.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}

const child = spawn(
  process.execPath,
  ["--import", "tsx", "--test", "--test-reporter=spec", "--test-concurrency=2", ...selected],
  { stdio: ["ignore", "pipe", "inherit"] },
);
let output = "";
child.stdout.setEncoding("utf8").on("data", (text) => {
  output += text;
  process.stdout.write(text);
});
child.on("exit", (code) => {
  const count = (name) => Number(new RegExp(`^ℹ ${name} (\\d+)$`, "m").exec(output)?.[1] ?? 0);
  console.log(`\n${count("pass")} passed, ${count("fail")} failed, ${count("skipped")} skipped`);
  process.exit(code ?? 1);
});
