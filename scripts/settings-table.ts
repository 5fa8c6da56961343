// Writes the settings and environment tables of docs/server.md from the
// configuration schema: `node --import tsx scripts/settings-table.ts`.
// With --check it changes nothing and fails when the tables are stale (CI
// runs the same check as test/cli/settings-table.test.ts).
import { readFile, rename, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

import { renderSettingsTables } from "../packages/server/src/config/index.js";

const DOC = fileURLToPath(new URL("../docs/server.md", import.meta.url));

const current = await readFile(DOC, "utf8");
const wanted = renderSettingsTables(current);
if (process.argv.includes("--check")) {
  if (wanted !== current) {
    process.stderr.write(
      "docs/server.md: the settings tables are stale; run node --import tsx scripts/settings-table.ts\n",
    );
    process.exitCode = 1;
  }
} else if (wanted !== current) {
  // A failed write leaves the old document, never half of one.
  await writeFile(`${DOC}.tmp`, wanted);
  await rename(`${DOC}.tmp`, DOC);
  process.stdout.write("docs/server.md: tables rewritten\n");
}
