// The code once cited numbered sections of a behaviour reference that is not
// in the repository. A newcomer cannot follow such a citation, so the
// behaviour is stated where it matters, and the long stories live in
// docs/reference.md under stable anchors. This keeps it so: no numbered
// citation may come back, and every pointer into docs/reference.md must name
// an anchor that exists.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

// A word "spec" followed by a section number, in any of the forms the code
// used: plain, capitalised, "container spec", with "§", or possessive.
const NUMBERED_CITATION = /\bspec(?:\.md)?[ \t]*(?:\n[ \t]*(?:\/\/|\*|#)?[ \t]*)?(?:§[ \t]*)?\d+(?:\.\d+)*/gi;
const REFERENCE_POINTER = /docs\/reference\.md#([A-Za-z0-9_-]+)/g;
const TEXT_FILE = /\.(?:ts|mts|mjs|js|cjs|sh|proto|md|txt|json|toml|ya?ml)$|(?:^|\/)Dockerfile[^/]*$/;

/** Generated or third-party files the project does not write by hand. */
const NOT_OURS = [/(?:^|\/)gen\//, /(?:^|\/)node_modules\//, /(?:^|\/)dist\//, /^package-lock\.json$/];

/** The project's own files: git's list (tracked and new), or a walk of the source folders without git. */
function projectFiles(): string[] {
  return listedByGit() ?? walk(["README.md", "bench", "docs", "images", "packages", "proto", "scripts", "test"]);
}

function listedByGit(): string[] | undefined {
  try {
    const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
      cwd: root,
      encoding: "utf8",
      maxBuffer: 64 * 2 ** 20,
      stdio: ["ignore", "pipe", "ignore"],
    });
    return listed.split("\0").filter(isOurText);
  } catch {
    return undefined; // not a git checkout (an exported tarball)
  }
}

function walk(entries: string[]): string[] {
  return entries.flatMap((entry) => {
    if (NOT_OURS.some((pattern) => pattern.test(`${entry}/`))) return [];
    const full = path.join(root, entry);
    if (!existsSync(full)) return [];
    if (statSync(full).isDirectory()) return walk(readdirSync(full).map((name) => `${entry}/${name}`));
    return isOurText(entry) ? [entry] : [];
  });
}

function isOurText(file: string): boolean {
  return file !== "" && TEXT_FILE.test(file) && !NOT_OURS.some((pattern) => pattern.test(file));
}

function readIfPresent(file: string): string | undefined {
  try {
    return readFileSync(path.join(root, file), "utf8");
  } catch {
    return undefined; // listed by git but deleted in the working tree
  }
}

/** `file:line: citation` for every numbered citation in `text`, also one broken over two lines. */
function citationsIn(file: string, text: string): string[] {
  return [...text.matchAll(NUMBERED_CITATION)].map((match) => {
    const line = text.slice(0, match.index).split("\n").length;
    return `${file}:${line}: ${match[0].replace(/\s+/g, " ")}`;
  });
}

const cites = (text: string): boolean => citationsIn("sample", text).length > 0;

describe("no citations of the external behaviour reference", () => {
  it("the pattern catches the forms the code used to have, and not ordinary words", () => {
    // Built from pieces so that this file does not cite anything itself.
    const word = "spec";
    const Word = "Spec";
    for (const cited of [
      `(${word} 7.1)`,
      `${Word} 1.7: limits`,
      `container ${word} 12.1.2`,
      `${word} 6.3's`,
      `${word} §4`,
      `lost them, ${word}\n  12.2)`,
      `(the original, ${word}\n * 3.2)`,
    ]) {
      assert.ok(cites(cited), `should be caught: ${cited}`);
    }
    for (const fine of ["the container spec's labels", "specs 2", "respect 10 limits", "the spec\n\n2 items"]) {
      assert.ok(!cites(fine), `should pass: ${fine}`);
    }
  });

  it("no tracked source, test, script or doc cites a numbered section", () => {
    const files = projectFiles();
    assert.ok(files.length > 100, `expected the project's files, found ${files.length}`);
    const found = files.flatMap((file) => {
      const text = readIfPresent(file);
      return text === undefined ? [] : citationsIn(file, text);
    });
    assert.deepEqual(found, [], "state the behaviour, or point at docs/reference.md#<anchor>");
  });

  it("every pointer into docs/reference.md names an anchor that exists", () => {
    const reference = readFileSync(path.join(root, "docs/reference.md"), "utf8");
    const anchors = new Set([...reference.matchAll(/<a id="([^"]+)"><\/a>/g)].map((match) => match[1]));
    assert.ok(anchors.size > 10, "docs/reference.md has its anchors");
    const broken = projectFiles().flatMap((file) => {
      const text = readIfPresent(file) ?? "";
      return [...text.matchAll(REFERENCE_POINTER)]
        .filter((match) => !anchors.has(match[1]))
        .map((match) => `${file}: #${match[1]}`);
    });
    assert.deepEqual(broken, []);
  });
});
