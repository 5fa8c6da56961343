// A bot that does not exist is a 404 on every route that names one, whatever
// the route does: never a 503 (as if it were only stopped) or a 500.
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, before, describe, it } from "node:test";

import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";

const UNKNOWN_BOT = "no-such-bot";

interface OpenApiDocument {
  paths: Record<string, Record<string, { parameters?: { name: string; in: string; required: boolean }[] }>>;
}

describe("a bot that does not exist", () => {
  let server: BotboxServer;
  before(async () => {
    server = await startBotboxServer();
  });
  after(async () => {
    await server.stop();
    await rm(server.home, { recursive: true, force: true });
  });

  it("is a 404 naming it on every route of the router table", async () => {
    const document = (await server.api("GET", "/openapi.json")).body as OpenApiDocument;
    const wrong: string[] = [];
    let walked = 0;
    for (const [template, operations] of Object.entries(document.paths)) {
      if (!template.includes("{bot_id}")) continue;
      for (const [method, operation] of Object.entries(operations)) {
        // A port must be a number to be a port at all; every other parameter takes any name.
        const route = template
          .replace(/\{bot_id\}/g, UNKNOWN_BOT)
          .replace(/\{port\}/g, "8080")
          .replace(/\{([a-z_]+)\}/g, "x$1");
        // Required query parameters get a plausible value, so that the bot is what is wrong.
        const query = (operation.parameters ?? [])
          .filter((parameter) => parameter.in === "query" && parameter.required)
          .map((parameter) => `${parameter.name}=${parameter.name === "path" ? "/data/x" : "x"}`)
          .join("&");
        const url = `${server.url}${route}${query ? `?${query}` : ""}`;
        const response = await fetch(url, {
          method: method.toUpperCase(),
          headers: { authorization: `Bearer ${server.adminToken}` },
        });
        const text = await response.text();
        walked++;
        // A route whose only credential is a signed link (the console's
        // downloads) says nothing about the bot to a caller without a genuine
        // link, not even whether it exists: 401, never the bot's name.
        if (template.includes("/signed-")) {
          if (response.status !== 401 || text.includes(UNKNOWN_BOT))
            wrong.push(`${method.toUpperCase()} ${template}: ${response.status} ${text.slice(0, 200)}`);
          continue;
        }
        if (response.status !== 404 || !text.includes(UNKNOWN_BOT))
          wrong.push(`${method.toUpperCase()} ${template}: ${response.status} ${text.slice(0, 200)}`);
      }
    }
    assert.ok(walked > 30, `only ${walked} routes name a bot: the table was not walked`);
    assert.deepEqual(wrong, []);
  });
});
