// What the ports' own origins and the path form's sandbox are for, in a real
// browser (Debian's Chromium driven by playwright-core): a page one bot
// serves cannot read another bot's pages, although the browser holds that
// bot's link cookies; a page on botbox's own origin without the sandbox can.
// Chromium resolves `*.localhost` to loopback itself.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";

import { type Browser, chromium, type Page } from "playwright-core";

import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { addBots, removeServer } from "../support/bots.js";
import { startAppIn } from "./app-in-bot.js";

const CHROMIUM = process.env.BOTBOX_TEST_CHROMIUM || "/usr/bin/chromium";
const READER = "reader";
const VICTIM = "victim";
const PORT = 3000;

/** What a script of `page` gets reading `url` with the browser's credentials: the text, or the error. */
const readFrom = (page: Page, url: string) =>
  page.evaluate(
    async (target) =>
      fetch(target, { credentials: "include" }).then(
        async (response) => `read ${response.status}: ${await response.text()}`,
        (error: Error) => `refused: ${error.name}`,
      ),
    url,
  );

describe(
  "a bot's page in a browser",
  { timeout: 300_000, ...(existsSync(CHROMIUM) ? {} : { skip: `no Chromium at ${CHROMIUM}` }) },
  () => {
    let server: BotboxServer;
    let browser: Browser;
    let page: Page;
    const link = async (bot: string) => {
      const { status, body } = await server.api("POST", `/bots/${bot}/ports/${PORT}/link`, { ttl_seconds: 300 });
      assert.equal(status, 200, JSON.stringify(body));
      return body as { url: string; path: string };
    };

    before(async () => {
      server = await startBotboxServer();
      await addBots(server, [READER, VICTIM]);
      await startAppIn(server, [READER, VICTIM], PORT);
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
      });
      page = await browser.newPage();
      // The browser holds the victim's link cookies, on its own origin and under the path form.
      const victim = await link(VICTIM);
      for (const url of [victim.url, `${server.url}${victim.path}`]) {
        const opened = await page.goto(url);
        assert.equal(opened?.status(), 200, url);
        assert.match((await page.textContent("body")) ?? "", /hello from port 3000/);
      }
    });
    after(async () => {
      await browser?.close();
      await removeServer(server, [READER, VICTIM]);
    });

    it("on its own origin, reads its own pages but not another bot's", async () => {
      const reader = await link(READER);
      await page.goto(reader.url);
      assert.equal(new URL(page.url()).hostname, `${PORT}-${READER}.localhost`);
      assert.equal(await readFrom(page, "/own"), `read 200: hello from port ${PORT} at /own\n`);
      const victimOrigin = new URL((await link(VICTIM)).url).origin;
      assert.equal(await readFrom(page, `${victimOrigin}/secret`), "refused: TypeError");
    });

    it("under the path form, runs sandboxed: it cannot read another bot's path on botbox's origin", async () => {
      await page.goto(`${server.url}${(await link(READER)).path}`);
      // A string: it runs in the page, whose DOM types the server's tsconfig does not load.
      assert.equal(await page.evaluate("window.origin"), "null");
      assert.equal(await readFrom(page, `/bots/${VICTIM}/ports/${PORT}/secret`), "refused: TypeError");
      // The same script on a page of botbox's origin without the sandbox reads it: the sandbox is what stops it.
      await page.goto(`${server.url}/health`);
      assert.equal(
        await readFrom(page, `/bots/${VICTIM}/ports/${PORT}/secret`),
        `read 200: hello from port ${PORT} at /secret\n`,
      );
    });
  },
);
