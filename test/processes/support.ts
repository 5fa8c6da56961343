// Shared by the process suites: raw requests to the process routes and
// readers of their NDJSON and SSE output.
import assert from "node:assert/strict";

import type { BotboxServer } from "../support/botbox-server.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read event fields freely
export type OutputEvent = Record<string, any>;

export function processesRoute(botId: string, rest = ""): string {
  return `/bots/${botId}/processes${rest}`;
}

/** Starts a process and answers its JSON (201 asserted). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response fields freely
export async function startProcess(server: BotboxServer, botId: string, body: unknown): Promise<any> {
  const started = await server.api("POST", processesRoute(botId), body);
  assert.equal(started.status, 201, JSON.stringify(started.body));
  return started.body;
}

/** All events of one output request, NDJSON or SSE. */
export async function outputEvents(
  server: BotboxServer,
  botId: string,
  process: string,
  query: string,
  options: { sse?: boolean } = {},
): Promise<OutputEvent[]> {
  const response = await fetch(`${server.url}${processesRoute(botId, `/${process}/output?${query}`)}`, {
    headers: {
      authorization: `Bearer ${server.adminToken}`,
      ...(options.sse ? { accept: "text/event-stream" } : {}),
    },
  });
  assert.equal(response.status, 200, await response.clone().text());
  const text = await response.text();
  if (!options.sse)
    return text
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as OutputEvent);
  return text
    .split("\n\n")
    .filter(Boolean)
    .map((block) => {
      const fields = Object.fromEntries(
        block.split("\n").map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2)]),
      );
      return { ...(JSON.parse(fields.data!) as OutputEvent), sse: { id: fields.id, event: fields.event } };
    });
}

/** The output bytes of a list of events, in order, checking each offset follows the one before. */
export function outputBytes(events: OutputEvent[]): Buffer {
  const parts: Buffer[] = [];
  let next: number | undefined;
  for (const event of events) {
    if (event.type !== "output") continue;
    if (next !== undefined) assert.equal(event.offset, next, "offsets follow each other");
    const data = Buffer.from(event.data as string, event.encoding === "base64" ? "base64" : "utf8");
    assert.equal(data.byteLength, event.size);
    parts.push(data);
    next = (event.offset as number) + data.byteLength;
  }
  return Buffer.concat(parts);
}

/** `line 1` to `line n`, one a line: what the counting processes print. */
export function numberedLines(count: number): string {
  return Array.from({ length: count }, (_, i) => `line ${i + 1}\n`).join("");
}

/**
 * A counting process whose reader was cut off (`cut`, ending in an error
 * event with `since`) ran to the end with no line lost: its whole output
 * from the start is `line 1` to `line <lines>` and its exit code 0, and
 * what `cut` read plus a read resumed at `since` is the same output.
 */
export async function assertCountedThrough(
  server: BotboxServer,
  botId: string,
  processId: string,
  lines: number,
  cut: OutputEvent[],
): Promise<void> {
  const events = await outputEvents(server, botId, processId, "since=0&follow=true");
  const output = outputBytes(events).toString();
  assert.equal(output.split("\n").filter(Boolean).length, lines);
  assert.equal(output, numberedLines(lines));
  assert.equal(events.at(-1)!.type, "exit");
  assert.equal(events.at(-1)!.process.exit_code, 0);
  const resumed = await outputEvents(server, botId, processId, `since=${cut.at(-1)!.since}`);
  assert.equal(Buffer.concat([outputBytes(cut), outputBytes(resumed)]).toString(), output);
}
