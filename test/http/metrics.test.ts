import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Sandbox } from "e2b";

import { e2bKeyFor } from "../../packages/server/src/e2b/index.js";
import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { addBots, botToken, removeServer } from "../support/bots.js";

// GET /metrics of a real `botbox serve` (docs/metrics.md): the exposition
// text parsed line by line, the request counters by route pattern, the bots
// by state and the per-bot gauges read from the kernel, and who may read it.

const METRICS_TOKEN = "metrics-token-0123456789abcdef";
const BOTS = ["met-run", "met-idle"];

/** One sample of the text format: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
const SAMPLE_LINE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*)?,?\\})? (\\S+)(?: -?\\d+)?$`);
// As Prometheus reads a value (Go's ParseFloat): NaN and Inf in any case; prom-client writes "Nan".
const VALUE = /^(?:[+-]?(?:\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?)|[+-]?inf|nan)$/i;

/**
 * Prometheus text format 0.0.4, strictly: every line is a HELP or TYPE
 * comment of a valid name and type, or a sample of a valid name, labels and
 * float value; a sample's family was TYPEd before it. Throws on the first
 * line that is not.
 */
function parseExposition(text: string): Sample[] {
  assert.ok(text.endsWith("\n"), "the text ends with a newline");
  const typed = new Map<string, string>();
  const samples: Sample[] = [];
  for (const [index, line] of text.slice(0, -1).split("\n").entries()) {
    const where = `line ${index + 1}: ${JSON.stringify(line)}`;
    if (line === "") continue;
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (comment) {
      assert.match(comment[2]!, new RegExp(`^${NAME}$`), where);
      if (comment[1] === "TYPE") {
        assert.match(comment[3]!, /^(counter|gauge|histogram|summary|untyped)$/, where);
        typed.set(comment[2]!, comment[3]!);
      }
      continue;
    }
    assert.ok(!line.startsWith("#"), `${where}: a comment other than HELP or TYPE`);
    const match = SAMPLE_LINE.exec(line);
    assert.ok(match, `${where}: not a sample line`);
    assert.match(match[3]!, VALUE, `${where}: not a float`);
    const name = match[1]!;
    const family = [name, name.replace(/_(bucket|sum|count|total)$/, "")].find((candidate) => typed.has(candidate));
    assert.ok(family, `${where}: no TYPE line for ${name}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[key!] = value!;
    samples.push({ name, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample with this name and these labels (among others); undefined if none. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value;
}

describe("GET /metrics: Prometheus text from a real server", () => {
  let server: BotboxServer | undefined;

  before(async () => {
    server = await startBotboxServer({ env: { BOTBOX_METRICS_TOKEN: METRICS_TOKEN } });
    await addBots(server, ["met-run", { id: "met-idle", start: false }]);
  });
  after(() => removeServer(server, BOTS));

  async function scrape(token = server!.adminToken): Promise<{ status: number; type: string; text: string }> {
    const response = await fetch(`${server!.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, type: response.headers.get("content-type") ?? "", text: await response.text() };
  }

  /** Scrapes until `check` holds: the per-bot gauges are kept for 2 s between reads (bot-usage.ts). */
  async function scrapeUntil(check: (samples: Sample[]) => boolean, timeoutMs = 15_000): Promise<Sample[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const samples = parseExposition((await scrape()).text);
      if (check(samples)) return samples;
      assert.ok(Date.now() < deadline, "the metrics did not change in time");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  it("counts requests by route pattern, not URL, and times execs; the text parses line by line", async () => {
    const execRoute = { route: "/bots/:bot_id/container/exec", method: "POST", status_class: "2xx" };
    const first = await scrape();
    assert.equal(first.status, 200);
    assert.match(first.type, /^text\/plain; version=0\.0\.4; charset=utf-8$/);
    const before = parseExposition(first.text);
    const ran = await server!.api("POST", "/bots/met-run/container/exec", { command: "echo counted" });
    assert.equal(ran.status, 200, JSON.stringify(ran.body));
    assert.equal((await server!.api("GET", "/bots/no-such-bot")).status, 404);
    const samples = parseExposition((await scrape()).text);
    assert.equal(
      valueOf(samples, "botbox_http_requests_total", execRoute),
      (valueOf(before, "botbox_http_requests_total", execRoute) ?? 0) + 1,
    );
    assert.ok(valueOf(samples, "botbox_http_request_duration_seconds_count", execRoute)! >= 1);
    assert.ok(valueOf(samples, "botbox_exec_duration_seconds_count", { kind: "buffered" })! >= 1);
    assert.ok(
      valueOf(samples, "botbox_http_requests_total", {
        route: "/bots/:bot_id",
        method: "GET",
        status_class: "4xx",
      })! >= 1,
    );
    // Bounded labels: no bot id or other URL part is ever a route label.
    for (const sample of samples.filter((one) => one.labels.route !== undefined))
      assert.ok(!/met-|no-such-bot/.test(sample.labels.route!), `route label ${sample.labels.route}`);
    assert.ok(valueOf(samples, "botbox_process_resident_memory_bytes")! > 0, "Node's own process metrics");
  });

  it("shows bots by state, a running bot's memory, processes and OOM kills from its cgroups and its disk use; they move", async () => {
    let samples = await scrapeUntil((all) => valueOf(all, "botbox_bots", { state: "running" }) === 1);
    assert.equal(valueOf(samples, "botbox_bots", { state: "no_container" }), 1);
    assert.equal(valueOf(samples, "botbox_bots", { state: "stopped" }), 0);
    assert.ok(valueOf(samples, "botbox_bot_memory_bytes", { bot_id: "met-run" })! > 0);
    assert.ok(valueOf(samples, "botbox_bot_processes", { bot_id: "met-run" })! >= 1);
    assert.equal(typeof valueOf(samples, "botbox_bot_oom_kills_total", { bot_id: "met-run" }), "number");
    // CPU time is there where the kernel accounts it per bot (docs/metrics.md); where it is, it is real.
    const cpu = valueOf(samples, "botbox_bot_cpu_seconds_total", { bot_id: "met-run" });
    if (cpu !== undefined) assert.ok(cpu > 0);
    assert.equal(valueOf(samples, "botbox_bot_memory_bytes", { bot_id: "met-idle" }), undefined);

    // Disk use is its own file system's (the default quota, as root); a bot without one shows none.
    const run = { bot_id: "met-run" };
    const diskBytes = (await server!.api("GET", "/bots/met-run")).body.limits.disk_bytes as number | null;
    const used = valueOf(samples, "botbox_bot_disk_used_bytes", run);
    if (diskBytes === null) assert.equal(used, undefined, "no disk of its own, so no figure (not the host's)");
    else {
      assert.ok(used! > 0);
      assert.ok(valueOf(samples, "botbox_bot_disk_size_bytes", run)! <= diskBytes);
      const wrote = await server!.api("POST", "/bots/met-run/container/exec", {
        command: "head -c 16777216 /dev/urandom > /data/metered.bin && sync",
      });
      assert.equal(wrote.body.exit_code, 0, JSON.stringify(wrote.body));
      await scrapeUntil((all) => valueOf(all, "botbox_bot_disk_used_bytes", run)! >= used! + 16 * 2 ** 20);
      await server!.api("POST", "/bots/met-run/container/exec", { command: "rm /data/metered.bin" });
    }

    assert.equal((await server!.api("POST", "/bots/met-run/container/stop", { timeout: 5 })).status, 200);
    samples = await scrapeUntil((all) => valueOf(all, "botbox_bots", { state: "stopped" }) === 1);
    assert.equal(valueOf(samples, "botbox_bots", { state: "running" }), 0);
    assert.equal(valueOf(samples, "botbox_bot_memory_bytes", { bot_id: "met-run" }), undefined, "a stopped bot's go");

    // A snapshot of the stopped bot is timed; so is the restore a rollback does.
    const snapshot = await server!.api("POST", "/bots/met-run/container/snapshots", { snapshot_name: "metered" });
    assert.equal(snapshot.status, 201, JSON.stringify(snapshot.body));
    samples = parseExposition((await scrape()).text);
    assert.equal(valueOf(samples, "botbox_snapshot_duration_seconds_count", { operation: "commit", outcome: "ok" }), 1);
    assert.ok(valueOf(samples, "botbox_lifecycle_events_total", { type: "container_stop" })! >= 1);
    assert.ok(valueOf(samples, "botbox_lifecycle_events_total", { type: "snapshot_create" })! >= 1);
  });

  it("takes the admin token or the metrics token; a bot token gets 403, no token 401", async () => {
    assert.equal((await scrape(METRICS_TOKEN)).status, 200);
    const bot = await scrape(await botToken(server!, "met-idle"));
    assert.equal(bot.status, 403);
    assert.equal(JSON.parse(bot.text).error.code, "forbidden");
    assert.equal((await scrape("")).status, 401);
    assert.equal((await scrape("not-the-metrics-token-at-all")).status, 401);
    // The metrics token opens /metrics and nothing else.
    assert.equal((await server!.api("GET", "/bots", undefined, METRICS_TOKEN)).status, 401);
  });
});

describe("botbox_exec_duration_seconds: the LLM exec tool and E2B commands too", { timeout: 180_000 }, () => {
  let server: BotboxServer | undefined;
  let sandbox: Sandbox | undefined;
  const BOT = "met-tool";

  before(async () => {
    server = await startBotboxServer({ env: { BOTBOX_E2B_ENABLED: "true" } });
    await addBots(server, [BOT]);
  });
  after(async () => {
    if (sandbox) await Sandbox.kill(sandbox.sandboxId, e2bOptions()).catch(() => undefined);
    await removeServer(server, [BOT]);
  });

  const e2bOptions = () => ({
    apiKey: e2bKeyFor(server!.adminToken),
    apiUrl: `${server!.url}/e2b`,
    sandboxUrl: `${server!.url}/e2b-sandbox`,
  });

  async function execCount(kind: string): Promise<number> {
    const response = await fetch(`${server!.url}/metrics`, {
      headers: { authorization: `Bearer ${server!.adminToken}` },
    });
    return valueOf(parseExposition(await response.text()), "botbox_exec_duration_seconds_count", { kind }) ?? 0;
  }

  it("times the exec tool's calls as kind tool, and no other tool", async () => {
    const client = new Client({ name: "metrics-test", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server!.url}/bots/${BOT}/tools`), {
        requestInit: { headers: { authorization: `Bearer ${server!.adminToken}` } },
      }),
    );
    try {
      const before = await execCount("tool");
      const ran = await client.callTool({ name: "exec", arguments: { command: "sleep 0.2; echo timed" } });
      assert.notEqual(ran.isError, true, JSON.stringify(ran.content));
      assert.equal(await execCount("tool"), before + 1);
      const sum = async () =>
        valueOf(
          parseExposition(
            await (
              await fetch(`${server!.url}/metrics`, { headers: { authorization: `Bearer ${server!.adminToken}` } })
            ).text(),
          ),
          "botbox_exec_duration_seconds_sum",
          { kind: "tool" },
        )!;
      assert.ok((await sum()) >= 0.2, "the sleep is in the time");
      const listed = await client.callTool({ name: "list", arguments: { path: "/data" } });
      assert.notEqual(listed.isError, true, JSON.stringify(listed.content));
      assert.equal(await execCount("tool"), before + 1, "list is not an exec");
    } finally {
      await client.close();
    }
  });

  it("times an E2B command from Start to its end as kind e2b", async () => {
    sandbox = await Sandbox.create(e2bOptions());
    const before = await execCount("e2b");
    const result = await sandbox.commands.run("echo from-e2b");
    assert.equal(result.stdout, "from-e2b\n");
    // The Start stream's close is observed as the response ends: wait for it rather than assume it.
    const deadline = Date.now() + 10_000;
    while ((await execCount("e2b")) < before + 1) {
      assert.ok(Date.now() < deadline, "no e2b exec observed");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(await execCount("e2b"), before + 1);
  });
});
