// The web console in real Chromium against a real `botbox serve` and real
// bots (issue 16): every flow a person does in the browser, through the
// console's own pages, checked against the API. Screenshots of each main
// page go to test-artifacts/console/ (README, "Web console").
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";

import type { Browser, BrowserContext, Page } from "playwright-core";

import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { removeServer } from "../support/bots.js";
import { bundledServer } from "../support/mcp-servers.js";
import { launchChromium, needsChromium, screenshot, watchForPageProblems } from "./browser.js";
import { type DroppingProxy, startDroppingProxy } from "./dropping-proxy.js";

const BOT = "web-a";
const OTHER = "web-b";

describe("the web console in Chromium", { timeout: 420_000, ...needsChromium() }, () => {
  // One person's session: each step builds on the ones before, so after a
  // failure the rest skip, saying so, instead of each timing out.
  let failed: string | undefined;
  const step = (name: string, body: () => Promise<void> | void) =>
    it(name, async (t) => {
      if (failed) return t.skip(`an earlier step failed: ${failed}`);
      try {
        await body();
      } catch (error) {
        failed = name;
        // What the page showed when the step failed, beside the other screenshots.
        await screenshot(page, "failed-step").catch(() => undefined);
        throw error;
      }
    });

  let server: BotboxServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  /** The browser reaches the server through this relay, which can drop its connections. */
  let proxy: DroppingProxy;
  let base: string;

  /** A file's text in the bot, read through the API (what the console wrote). */
  const readInBot = async (path: string) => {
    const { status, body } = await server.api("GET", `/bots/${BOT}/container/fs/read?path=${path}`);
    assert.equal(status, 200, JSON.stringify(body));
    return body.content as string;
  };
  const writeInBot = async (path: string, content: string) => {
    const { status, body } = await server.api("POST", `/bots/${BOT}/container/fs/write`, { path, content });
    assert.equal(status, 200, JSON.stringify(body));
  };
  const openTab = async (label: string) => {
    await page.getByRole("navigation", { name: "Bot sections" }).getByRole("link", { name: label }).click();
  };
  const statusText = (text: string | RegExp) => page.getByRole("status").filter({ hasText: text });

  before(async () => {
    server = await startBotboxServer();
    proxy = await startDroppingProxy(server.url);
    base = proxy.url;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    problems = watchForPageProblems(page);
  });
  after(async () => {
    await browser?.close();
    await proxy?.close();
    await removeServer(server, [BOT, OTHER]);
  });

  step("signs in by keyboard with the admin token, after showing the API's refusal of a wrong one", async () => {
    await page.goto(base);
    // / opens the console's own route.
    await page.waitForURL(`${base}/console`);
    const token = page.getByLabel("API token");
    await token.fill("not-a-token");
    await token.press("Enter");
    await page.getByRole("alert").filter({ hasText: "invalid or revoked token" }).waitFor();
    await screenshot(page, "01-sign-in");
    await token.fill(server.adminToken);
    await token.press("Enter");
    await page.getByRole("heading", { name: "Bots" }).waitFor();
    await page.getByText("signed in as admin").waitFor();
    assert.equal(await page.evaluate("localStorage.length"), 0, "the token is not kept beyond the tab");
  });

  step("shows the API's message for a refused bot, then creates a bot and starts it", async () => {
    await page.getByRole("button", { name: "New bot" }).click();
    const form = page.getByRole("form", { name: "New bot" });
    await form.getByLabel("Name", { exact: true }).fill("Web A");
    // The browser sends it; the API refuses it, and the form shows the API's words.
    await form.getByLabel("Id (optional)").fill("not a valid id!");
    await form.getByRole("button", { name: "Create bot" }).click();
    await form.getByRole("alert").filter({ hasText: "body.id" }).waitFor();
    await form.getByLabel("Id (optional)").fill(BOT);
    await form.getByRole("button", { name: "Create bot" }).click();
    const row = page.locator(`tr[data-bot="${BOT}"]`);
    await row.waitFor();
    await row.getByRole("button", { name: "Start" }).click();
    await row.locator(".status", { hasText: "running" }).waitFor({ timeout: 90_000 });
    const state = (await server.api("GET", `/bots/${BOT}/container`)).body;
    assert.equal(state.status, "running");
    // Resource use shows where the backend counts it (the page asks again every few seconds).
    if (state.usage)
      await row
        .getByTestId("usage")
        .filter({ hasText: /MiB in use, \d+ processes/ })
        .waitFor();
    await screenshot(page, "02-bots");
    await row.getByRole("link", { name: "Web A" }).click();
    await page.getByRole("list", { name: "Lifecycle events" }).getByText("start").first().waitFor();
    await screenshot(page, "03-overview");
  });

  step("uploads a dropped file with progress and lists it", async () => {
    await openTab("Files");
    await page.getByRole("table", { name: "Files" }).waitFor();
    // A drop as the browser makes one: a DataTransfer holding a File.
    await page.evaluate(`{
      const transfer = new DataTransfer();
      transfer.items.add(new File(["dropped into the console\\n"], "dropped.txt", { type: "text/plain" }));
      const drop = new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true });
      document.querySelector(".drop-zone").dispatchEvent(drop);
    }`);
    await page.locator('tr[data-path="/data/dropped.txt"]').waitFor();
    const upload = page.getByRole("region", { name: "Uploads" }).locator("li", { hasText: "dropped.txt" });
    await upload.and(page.locator('[data-state="done"]')).waitFor();
    assert.equal(await readInBot("/data/dropped.txt"), "dropped into the console\n");

    // A larger file through the file picker: its progress bar ends full.
    const big = Buffer.alloc(3 * 2 ** 20, "botbox ");
    await page
      .locator('input[type="file"]')
      .first()
      .setInputFiles({ name: "big.bin", mimeType: "application/octet-stream", buffer: big });
    const bar = page.getByLabel("Upload of big.bin");
    await page.locator('li[data-state="done"]', { hasText: "big.bin" }).waitFor();
    assert.equal(await bar.getAttribute("value"), String(big.length));
    const described = await server.api("GET", `/bots/${BOT}/container/fs?path=/data/big.bin`);
    assert.equal(described.body.size, big.length);
    await screenshot(page, "04-files");
  });

  step("edits a text file with syntax highlighting and saves it with Ctrl-S", async () => {
    await writeInBot("/data/app.js", "const answer = 41;\n");
    await page.getByRole("button", { name: "Refresh" }).click();
    await page.locator('tr[data-path="/data/app.js"]').getByRole("button", { name: "app.js" }).click();
    const content = page.locator(".cm-content");
    await content.waitFor();
    // JavaScript is highlighted: the keyword is a token of its own.
    await page.locator(".cm-line span", { hasText: "const" }).first().waitFor();
    await content.click();
    await page.keyboard.press("Control+End");
    await page.keyboard.type("// saved from the browser\n");
    await page.keyboard.press("Control+s");
    await statusText(/Saved at/).waitFor();
    assert.equal(await readInBot("/data/app.js"), "const answer = 41;\n// saved from the browser\n");
    await screenshot(page, "05-editor");
    await page.getByRole("button", { name: "Back to the folder" }).click();
  });

  step("downloads a file through a signed link, streamed to disk", async () => {
    const row = page.locator('tr[data-path="/data/dropped.txt"]');
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      row.getByRole("button", { name: "Download" }).click(),
    ]);
    assert.equal(download.suggestedFilename(), "dropped.txt");
    assert.match(download.url(), /\/signed-download\?path=%2Fdata%2Fdropped\.txt&link=v1\./);
    assert.equal(await readFile((await download.path())!, "utf8"), "dropped into the console\n");
  });

  step("renames, creates a folder and deletes after a confirmation", async () => {
    await page.getByLabel("New folder name").fill("made-here");
    await page.getByRole("button", { name: "Create folder" }).click();
    await page.locator('tr[data-path="/data/made-here"]').waitFor();
    const row = page.locator('tr[data-path="/data/dropped.txt"]');
    await row.getByRole("button", { name: "Rename" }).click();
    await row.getByLabel("New name for dropped.txt").fill("renamed.txt");
    await row.getByRole("button", { name: "Save name" }).click();
    const renamed = page.locator('tr[data-path="/data/renamed.txt"]');
    await renamed.waitFor();
    await renamed.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete file" }).click();
    await renamed.waitFor({ state: "detached" });
    const gone = await server.api("GET", `/bots/${BOT}/container/fs?path=/data/renamed.txt`);
    assert.equal(gone.status, 404);
  });

  step("pages through a large folder and sorts a page by size", async () => {
    const made = await server.api("POST", `/bots/${BOT}/container/exec`, {
      command: "mkdir -p /data/many && cd /data/many && for i in $(seq 1 205); do head -c $i /dev/zero > f$i; done",
    });
    assert.equal(made.body.exit_code, 0, made.body.stderr);
    await page.getByLabel("Folder path").fill("/data/many");
    await page.getByRole("button", { name: "Go", exact: true }).click();
    const rows = page.getByRole("table", { name: "Files" }).locator("tbody tr[data-path]");
    await page.getByText("Page 1").waitFor();
    await rows.nth(199).waitFor();
    assert.equal(await rows.count(), 200, "a page holds 200 entries");
    await page.getByRole("button", { name: "Next page" }).click();
    await page.getByText("Page 2").waitFor();
    // The first page's rows stay until the second arrives.
    await rows.nth(5).waitFor({ state: "detached" });
    assert.equal(await rows.count(), 5, "the rest on the second page");
    const size = page.getByRole("columnheader", { name: /Size/ });
    await size.getByRole("button").click();
    assert.equal(await size.getAttribute("aria-sort"), "ascending");
    await size.getByRole("button").click();
    assert.equal(await size.getAttribute("aria-sort"), "descending");
    const sizes = await rows.locator("td:nth-child(2)").allTextContents();
    const bytes = sizes.map((text) => Number(text.replace(" B", "")));
    assert.deepEqual(
      bytes,
      [...bytes].sort((a, b) => b - a),
      `sorted by size, largest first: ${sizes.join(", ")}`,
    );
    await page.getByRole("button", { name: "Previous page" }).click();
    await page.getByText("Page 1").waitFor();
    await page.getByRole("button", { name: "Parent folder" }).click();
    await page.locator('tr[data-path="/data/many"]').waitFor();
  });

  step("starts a background process, shows its live log, sends stdin and kills it", async () => {
    await openTab("Processes");
    await page.getByLabel("Command (a shell line)").fill("echo started-$((6*7)); cat");
    await page.getByRole("button", { name: "Start", exact: true }).click();
    const log = page.getByTestId("process-log");
    await log.filter({ hasText: "started-42" }).waitFor();
    await page.getByLabel("Send to stdin").fill("ping through stdin");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await log.filter({ hasText: "ping through stdin" }).waitFor();
    await screenshot(page, "06-processes");
    await page.getByRole("button", { name: "Kill" }).click();
    await statusText(/exited/).waitFor();
    const { body } = await server.api("GET", `/bots/${BOT}/processes`);
    const killed = body.processes.find((process: { command: string }) => process.command.includes("started-"));
    assert.equal(killed.signal, "SIGKILL");
  });

  step("runs echo in a terminal, in several tabs, resized with the window, reconnecting after a drop", async () => {
    await openTab("Terminal");
    const first = page.getByTestId("terminal").first();
    const status = page.getByRole("status").first();
    await status.filter({ hasText: "connected: session" }).waitFor();
    await first.click();
    await page.keyboard.type("echo hello-$((40+2))\n");
    await first.locator(".xterm-rows").filter({ hasText: "hello-42" }).waitFor();
    await screenshot(page, "07-terminal");

    // The PTY takes the window's size: a smaller window, fewer columns.
    const size = async (marker: string) => {
      await page.keyboard.type(`echo ${marker}=$(stty size | tr ' ' x)\n`);
      const row = first.locator(".xterm-rows > div").filter({ hasText: new RegExp(`^${marker}=\\d+x\\d+`) });
      await row.first().waitFor();
      const [rows, cols] = (/=(\d+)x(\d+)/.exec((await row.first().textContent()) ?? "") ?? []).slice(1).map(Number);
      return { rows: rows!, cols: cols! };
    };
    const wide = await size("wide");
    await page.setViewportSize({ width: 700, height: 860 });
    // The resize reaches the PTY a moment later: ask until it shows, by a deadline.
    const deadline = Date.now() + 15_000;
    let narrow = await size("narrow0");
    for (let attempt = 1; narrow.cols >= wide.cols && Date.now() < deadline; attempt++)
      narrow = await size(`narrow${attempt}`);
    assert.ok(narrow.cols < wide.cols, `the PTY narrowed from ${wide.cols} to ${narrow.cols} columns`);
    await page.setViewportSize({ width: 1280, height: 860 });

    // A second tab is a second session; the first keeps its screen.
    await page.getByRole("button", { name: "New terminal" }).click();
    const second = page.getByTestId("terminal").nth(1);
    await page.getByRole("status").nth(1).filter({ hasText: "connected: session" }).waitFor();
    await page.keyboard.type("echo second-tab\n");
    await second.locator(".xterm-rows").filter({ hasText: "second-tab" }).waitFor();
    // Between tabs by keyboard, as WAI-ARIA's tabs pattern has it: the arrow keys move and select.
    await page.getByRole("tab", { name: "Terminal 2" }).focus();
    await page.keyboard.press("ArrowLeft");
    const firstTab = page.getByRole("tab", { name: "Terminal 1" });
    assert.equal(await firstTab.getAttribute("aria-selected"), "true");
    assert.equal(await firstTab.evaluate((tab) => tab === tab.ownerDocument.activeElement), true, "focus follows");
    const secondTab = page.getByRole("tab", { name: "Terminal 2" });
    await page.keyboard.press("End");
    assert.equal(await secondTab.getAttribute("aria-selected"), "true", "End selects the last tab");
    await page.keyboard.press("Home");
    assert.equal(await firstTab.getAttribute("aria-selected"), "true", "Home selects the first tab");
    await first.locator(".xterm-rows").filter({ hasText: "hello-42" }).waitFor();

    // The network drops: the terminal says so, attaches to the same session again and goes on.
    assert.ok(proxy.dropAll() > 0, "the relay carried the terminal's connection");
    await status.filter({ hasText: "disconnected" }).waitFor();
    await status.filter({ hasText: "connected: session" }).waitFor({ timeout: 45_000 });
    await first.locator(".xterm-rows").filter({ hasText: "hello-42" }).waitFor();
    await first.click();
    await page.keyboard.type("echo after-the-drop\n");
    await first.locator(".xterm-rows").filter({ hasText: "after-the-drop" }).waitFor();
  });

  step("takes a snapshot and rolls back to it only once confirmed", async () => {
    await writeInBot("/data/state.txt", "before");
    await openTab("Snapshots");
    await page.getByLabel("Snapshot label (optional)").fill("from the console");
    await page.getByRole("button", { name: "Take snapshot" }).click();
    const taken = await statusText(/Snapshot taken \(version \d+\)/).textContent();
    const version = Number(/version (\d+)/.exec(taken ?? "")![1]);
    await writeInBot("/data/state.txt", "after");
    const row = page.locator(`tr[data-version="${version}"]`);
    await row.getByRole("button", { name: "Roll back" }).click();
    await page.keyboard.press("Escape");
    await page.getByRole("dialog").waitFor({ state: "hidden" });
    assert.equal(await readInBot("/data/state.txt"), "after", "a cancelled confirmation rolls nothing back");
    await row.getByRole("button", { name: "Roll back" }).click();
    await screenshot(page, "08-snapshots-confirm");
    await page
      .getByRole("dialog")
      .getByRole("button", { name: `Roll back to version ${version}` })
      .click();
    await statusText(`Rolled back to version ${version}.`).waitFor({ timeout: 90_000 });
    assert.equal(await readInBot("/data/state.txt"), "before");
    await screenshot(page, "09-snapshots");
  });

  step("exports /data as tar.gz through a signed link and imports it back", async () => {
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export /data" }).click(),
    ]);
    assert.match(download.suggestedFilename(), new RegExp(`^${BOT}-data-.*\\.tar\\.gz$`));
    const archive = await readFile((await download.path())!);
    assert.deepEqual([...archive.subarray(0, 2)], [0x1f, 0x8b], "a gzip stream");
    await writeInBot("/data/state.txt", "changed after the export");
    await page.getByLabel("Replace /data (else merge)").check();
    await page
      .getByRole("region", { name: "Export and import /data" })
      .locator('input[type="file"]')
      .setInputFiles({ name: "backup.tar.gz", mimeType: "application/gzip", buffer: archive });
    await statusText("Imported backup.tar.gz into /data.").waitFor({ timeout: 60_000 });
    assert.equal(await readInBot("/data/state.txt"), "before", "the archive's /data is back");
  });

  step("adds an MCP server from npm and calls its tool with JSON arguments", async () => {
    const bundle = await readFile(await bundledServer("everything"));
    const uploaded = await fetch(`${server.url}/bots/${BOT}/container/fs/upload?path=/data/everything.mjs`, {
      method: "PUT",
      headers: { authorization: `Bearer ${server.adminToken}` },
      body: bundle,
    });
    assert.equal(uploaded.status, 200, await uploaded.text());
    await openTab("MCP");
    const form = page.getByRole("form", { name: "Add an MCP server" });
    await form.getByLabel("Name", { exact: true }).fill("everything");
    await form.getByLabel("Command", { exact: true }).fill("node");
    await form.getByLabel("Arguments (one per line)").fill("everything.mjs\nstdio");
    await form.getByRole("button", { name: "Add server" }).click();
    await page.getByRole("table", { name: "MCP servers" }).getByText("everything.mjs stdio").waitFor();
    const tool = page.getByLabel("Tool", { exact: true });
    await page.locator('option[value="everything__echo"]').waitFor({ state: "attached", timeout: 60_000 });
    await tool.selectOption("everything__echo");
    await page.getByLabel("Arguments (JSON)").fill("{not json");
    await page.getByRole("button", { name: "Call tool" }).click();
    await page.getByRole("alert").filter({ hasText: "the arguments are not JSON" }).waitFor();
    await page.getByLabel("Arguments (JSON)").fill('{"message": "hello from the console"}');
    await page.getByRole("button", { name: "Call tool" }).click();
    await page.getByTestId("tool-result").filter({ hasText: "Echo: hello from the console" }).waitFor();
    await screenshot(page, "10-mcp");
  });

  step("lists skills and memories", async () => {
    await writeInBot("/data/.skills/greet/SKILL.md", "---\nname: greet\ndescription: Says hello\n---\nSay hello.\n");
    const added = await server.api("POST", `/bots/${BOT}/memory`, { message: "the user likes tea" });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    await openTab("Skills & memory");
    await page.getByRole("list", { name: "Skills" }).getByText("Says hello").waitFor();
    await page.getByRole("list", { name: "Memories" }).getByText("the user likes tea").waitFor();
    await screenshot(page, "11-skills-memory");
  });

  step("opens a bot's port through its signed URL in a new tab", async () => {
    const app = "require('node:http').createServer((q, s) => s.end('port says hi')).listen(8123, '127.0.0.1')";
    const started = await server.api("POST", `/bots/${BOT}/processes`, {
      command: ["node", "-e", app],
      tag: "web-app",
    });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    await openTab("Ports");
    await page.getByLabel("Port", { exact: true }).fill("8123");
    const deadline = Date.now() + 30_000;
    // The app may not listen yet: open again until it answers.
    for (;;) {
      const [opened] = await Promise.all([
        context.waitForEvent("page"),
        page.getByRole("button", { name: "Open in a new tab" }).click(),
      ]);
      await opened.waitForLoadState();
      const text = await opened.locator("body").textContent();
      await opened.close();
      if (text?.includes("port says hi")) break;
      assert.ok(Date.now() < deadline, `the port never answered: ${text}`);
      await page.waitForTimeout(500);
    }
    await statusText(/the link works until/).waitFor();
    await screenshot(page, "12-ports");
    await server.api("POST", `/bots/${BOT}/processes/web-app/signal`, { signal: "KILL" });
  });

  step("follows the bot's agent log: a call made while the tab is open appears as a row", async () => {
    await openTab("Logs");
    const rows = page.getByRole("table", { name: "Agent log lines" }).locator("tbody tr[data-level]");
    await rows.first().waitFor();
    const execs = rows.filter({ hasText: "Exec" });
    const before = await execs.count();
    const ran = await server.api("POST", `/bots/${BOT}/container/exec`, { command: "true" });
    assert.equal(ran.status, 200, JSON.stringify(ran.body));
    // The new call's row comes after the ones the tab opened with.
    await execs.nth(before).waitFor();
    await screenshot(page, "12b-logs");
  });

  step("fits every page into a narrow window without sideways scrolling", async () => {
    await page.setViewportSize({ width: 380, height: 800 });
    // Each page with what shows it has loaded; screenshots of the two most used.
    const pages: [string, string, string | undefined][] = [
      ["/console", "tbody tr[data-bot]", "13-narrow-bots"],
      [`/console/bots/${BOT}/files`, "tbody tr[data-path]", "14-narrow-files"],
      [`/console/bots/${BOT}/overview`, '[aria-label="Lifecycle events"] li', undefined],
      [`/console/bots/${BOT}/processes`, "tbody tr[data-process]", undefined],
      [`/console/bots/${BOT}/snapshots`, "tbody tr[data-version]", undefined],
      [`/console/bots/${BOT}/mcp`, '[aria-label="MCP servers"] tbody tr', undefined],
      [`/console/bots/${BOT}/ports`, 'form[aria-label="Open a port"]', undefined],
      [`/console/bots/${BOT}/logs`, '[aria-label="Agent log lines"] tbody tr[data-level]', undefined],
    ];
    for (const [path, loaded, name] of pages) {
      await page.goto(`${base}${path}`);
      await page.locator(loaded).first().waitFor();
      const overflow = Number(await page.evaluate("document.documentElement.scrollWidth - innerWidth"));
      assert.ok(overflow <= 0, `${path} is ${overflow}px wider than the window`);
      if (name) await screenshot(page, name);
    }
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  step("with a bot's token shows only that bot, another not at all, and signs out once it is revoked", async () => {
    assert.equal((await server.api("POST", "/bots", { id: OTHER, name: "Web B" })).status, 201);
    const issued = await server.api("POST", `/bots/${BOT}/tokens`, { name: "console test token" });
    assert.equal(issued.status, 201, JSON.stringify(issued.body));
    const token = issued.body.token as string;
    const botContext = await browser.newContext();
    try {
      const botPage = await botContext.newPage();
      const botProblems = watchForPageProblems(botPage);
      await botPage.goto(base);
      await botPage.getByLabel("API token").fill(token);
      await botPage.getByRole("button", { name: "Sign in" }).click();
      await botPage.getByText(`signed in as bot ${BOT}`).waitFor();
      const rows = botPage.getByRole("table", { name: "Bots" }).locator("tbody tr");
      await botPage.locator(`tr[data-bot="${BOT}"]`).waitFor();
      assert.equal(await rows.count(), 1);
      assert.equal(await botPage.getByRole("button", { name: "New bot" }).count(), 0, "no admin actions");
      await screenshot(botPage, "15-bot-token");
      await botPage.goto(`${base}/console/bots/${OTHER}`);
      await botPage
        .getByRole("alert")
        .filter({ hasText: `bot ${OTHER} not found` })
        .first()
        .waitFor();
      // With the admin token the same page shows it: the refusal is the token's scope.
      await page.goto(`${base}/console/bots/${OTHER}`);
      await page.getByRole("heading", { name: "Web B" }).waitFor();

      // Revoked while the tab is open: the next request's 401 ends the session, and the page says why.
      assert.equal((await server.api("DELETE", `/tokens/${issued.body.id}`)).status, 204);
      await botPage.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: "Bots" }).click();
      await botPage.getByText(/Signed out: the API no longer accepts this tab's token/).waitFor();
      await botPage.getByLabel("API token").waitFor();
      assert.equal(await botPage.evaluate("sessionStorage.length"), 0);
      assert.deepEqual(botProblems, []);
    } finally {
      await botContext.close();
    }
  });

  step("stops a bot, removes its container keeping /data, and deletes another bot, each once confirmed", async () => {
    await page.goto(`${base}/console`);
    const row = page.locator(`tr[data-bot="${BOT}"]`);
    await row.getByRole("button", { name: "Stop" }).click();
    await row.locator(".status", { hasText: "stopped" }).waitFor({ timeout: 60_000 });
    await row.getByRole("button", { name: "Remove container" }).click();
    const removal = page.getByRole("dialog", { name: `Remove the container of Web A?` });
    assert.equal(await removal.getByLabel("Keep /data for the next container").isChecked(), true);
    const [removed] = await Promise.all([
      page.waitForRequest((request) => request.method() === "DELETE" && request.url().includes("/container?")),
      removal.getByRole("button", { name: "Remove container" }).click(),
    ]);
    assert.match(removed.url(), /keep_data=true$/);
    await row.locator(".status", { hasText: "missing" }).waitFor();
    assert.equal((await server.api("GET", `/bots/${BOT}/container`)).body.status, "missing");

    const other = page.locator(`tr[data-bot="${OTHER}"]`);
    await other.getByRole("button", { name: "Delete" }).click();
    await page
      .getByRole("dialog", { name: "Delete bot Web B?" })
      .getByRole("button", { name: "Delete bot and its data" })
      .click();
    await other.waitFor({ state: "detached" });
    assert.equal((await server.api("GET", `/bots/${OTHER}`)).status, 404);
  });

  step("ran every page with no script error and no Content-Security-Policy violation", () => {
    assert.deepEqual(problems, []);
  });

  step("signs out, forgetting the token", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("API token").waitFor();
    assert.equal(await page.evaluate("sessionStorage.length"), 0);
    await page.reload();
    await page.getByLabel("API token").waitFor();
  });
});
