/**
 * Starts agent.js (beside this file) with a V8 code cache, so a bot's agent
 * skips compiling most of its 0.5 MB bundle: about 30 ms of a ~180 ms start.
 *
 * - `BOTBOX_AGENT_CODE_CACHE`: the cache to use. A missing, stale or foreign
 *   cache (another node, other flags, other source) is rejected by V8 and
 *   the agent simply compiles as usual.
 * - `BOTBOX_AGENT_CODE_CACHE_WRITE`: make the cache instead. The agent runs
 *   as usual while the host calls each of its RPCs once, so the functions a
 *   start and those calls need are compiled and land in the cache (a bot's
 *   first Info and first exec then skip compiling too); when the host closes
 *   the agent's stdin the cache is written there and the process exits.
 *   Only the host makes a cache: a bot must never write code another bot's
 *   agent runs.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire, Module } from "node:module";
import path from "node:path";
import { Script } from "node:vm";

const agentFile = path.join(__dirname, "agent.js");
const writeTo = process.env.BOTBOX_AGENT_CODE_CACHE_WRITE;
const readFrom = writeTo ? undefined : process.env.BOTBOX_AGENT_CODE_CACHE;
delete process.env.BOTBOX_AGENT_CODE_CACHE;
delete process.env.BOTBOX_AGENT_CODE_CACHE_WRITE;

const cachedData = readFrom && existsSync(readFrom) ? readFileSync(readFrom) : undefined;
const source = readFileSync(agentFile, "utf8").replace(/^#!.*/, "");
const script = new Script(Module.wrap(source), { filename: agentFile, cachedData });
// The agent's own keepers and restarted agents start through this loader
// too: selfEnv() (processes/self-command.ts) hands them the cache again. It
// stays out of process.env, which every command in the bot inherits.
if (readFrom && cachedData && !script.cachedDataRejected)
  (globalThis as Record<symbol, unknown>)[Symbol.for("botbox.agentCodeCache")] = readFrom;
if (cachedData && script.cachedDataRejected) {
  // Same shape as the agent's pino lines, so it lands in the bot's log like them.
  const line = { level: 40, time: Date.now(), service: "botbox-agent", cache: readFrom, msg: "code cache rejected" };
  process.stderr.write(`${JSON.stringify(line)}\n`);
}
const agentModule = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void).call(
  agentModule.exports,
  agentModule.exports,
  createRequire(agentFile),
  agentModule,
  agentFile,
  __dirname,
);

if (writeTo) {
  process.stdin.resume();
  process.stdin.once("end", () => {
    writeFileSync(`${writeTo}.tmp`, script.createCachedData(), { mode: 0o644 });
    renameSync(`${writeTo}.tmp`, writeTo);
    process.exit(0);
  });
}
