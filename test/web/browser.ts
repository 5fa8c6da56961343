// Debian's Chromium driven by playwright-core: `npx playwright install`
// cannot download browsers on these machines, so the tests use the
// distribution's build (apt-get install chromium; .ci/run installs it).
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { type Browser, chromium, type Page } from "playwright-core";

export const CHROMIUM = process.env.BOTBOX_TEST_CHROMIUM || "/usr/bin/chromium";

/** Where the suite saves its screenshots, for reviewers and CI artifacts (README, "Web console"). */
export const SCREENSHOT_DIR = fileURLToPath(new URL("../../test-artifacts/console/", import.meta.url));

/** For `describe(name, needsChromium(), …)`: the suite skips, saying why, where Chromium is not installed. */
export function needsChromium(): { skip?: string } {
  return existsSync(CHROMIUM) ? {} : { skip: `no Chromium at ${CHROMIUM}: apt-get install chromium` };
}

/**
 * Headless Chromium as root on a machine without outside network: no
 * sandbox (root), no GPU, and none of the background connections
 * (component updates, sync, QUIC probes) that a closed network refuses many
 * times over. Playwright gives every launch a fresh profile folder.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Saves a full-page screenshot as <SCREENSHOT_DIR>/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/**
 * Collects what a page reports as broken: uncaught errors, console errors
 * and Content-Security-Policy violations (each one a resource the console's
 * own policy blocked). The suite asserts it stays empty.
 */
export function watchForPageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    // A refused API request (the wrong-token test) is logged as a failed load: the page shows it itself.
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource"))
      problems.push(`console error: ${message.text()}`);
  });
  // A string: this runs in the page, whose DOM types the server's tsconfig does not load.
  void page.addInitScript(`document.addEventListener("securitypolicyviolation", (event) =>
    console.error("CSP violation: " + event.violatedDirective + " blocked " + event.blockedURI));`);
  return problems;
}
