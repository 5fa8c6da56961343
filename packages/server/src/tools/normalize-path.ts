/**
 * The tools speak in paths under the data folder. `/data` itself
 * becomes ".", a `/data/` prefix is dropped (with any slashes after it), and
 * everything else (relative paths, other absolute paths, `/database`) is
 * passed on; the agent resolves relative paths under its data folder.
 */
export function normalizePath(path: string, dataDir = "/data"): string {
  const trimmed = path.trim();
  if (trimmed === "") return "";
  const root = dataDir.replace(/\/+$/, "");
  if (trimmed === root || trimmed === `${root}/`) return ".";
  if (trimmed.startsWith(`${root}/`)) return trimmed.slice(root.length).replace(/^\/+/, "") || ".";
  return trimmed;
}
