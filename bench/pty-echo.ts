// A keystroke's echo round trip in a terminal: one byte sent on botbox's
// terminal WebSocket (docs/processes.md, "Terminals") until its echo comes
// back, through botbox serve, the agent's supervisor, the keeper and the PTY
// helper in a real sandbox; vs the same PTY helper (python3's pty module)
// run directly on the host with pipes, no botbox. Both echo by the kernel's
// line discipline, with `cat` reading. Goal: p50 under 5 ms.
import { spawn } from "node:child_process";
import { type EventEmitter, once } from "node:events";
import path from "node:path";

import { PTY_HELPER_SOURCE } from "../packages/agent/src/processes/pty-helper.js";
import { type BotboxServer, startBotboxServer } from "../test/support/botbox-server.js";
import { openTerminal } from "../test/terminal/support.js";
import { type Figure, homeScratchDir, ms, percentile, removeSandboxes, report } from "./support.js";

const KEYS = Number(process.env.BENCH_KEYS ?? 500);
const WARM_UP = 50;
const BOT = "pty-echo";

/**
 * Types KEYS single printable bytes one at a time; each round trip ends when
 * `output` next reports bytes (the echo), waited for as an event, not polled.
 */
async function echoRoundTrips(send: (key: Buffer) => void, output: EventEmitter, event: string): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < WARM_UP + KEYS; i++) {
    const echoed = once(output, event);
    const started = process.hrtime.bigint();
    send(Buffer.from([0x61 + (i % 26)]));
    await echoed;
    if (i >= WARM_UP) samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return samples;
}

async function throughBotbox(server: BotboxServer): Promise<number[]> {
  const terminal = await openTerminal(server, BOT, { command: "cat", cols: "80", rows: "24" });
  await terminal.session;
  try {
    return await echoRoundTrips((key) => terminal.socket.send(key, { binary: true }), terminal.socket, "message");
  } finally {
    // A Ctrl-D at a line's start is cat's end of input.
    terminal.socket.send(Buffer.from("\n\x04"), { binary: true });
    terminal.socket.close();
  }
}

async function directHelper(): Promise<number[]> {
  const helper = spawn("python3", ["-c", PTY_HELPER_SOURCE, "80", "24", "cat"], {
    stdio: ["pipe", "pipe", "inherit", "pipe"],
  });
  // The helper is ready once it has told its program's pid on fd 3.
  await once(helper.stdio[3]!, "data");
  try {
    return await echoRoundTrips((key) => helper.stdin!.write(key), helper.stdout!, "data");
  } finally {
    helper.stdin!.end("\n"); // then the helper's Ctrl-D starts a line: cat's end of input
    if (helper.exitCode === null) await once(helper, "exit");
  }
}

export async function benchPtyEcho(): Promise<Figure> {
  const scratch = await homeScratchDir("pty-echo");
  let server: BotboxServer | undefined;
  try {
    server = await startBotboxServer({ home: path.join(scratch, "home") });
    if ((await server.api("POST", "/bots", { id: BOT, name: BOT })).status !== 201) throw new Error("bot not created");
    if ((await server.api("POST", `/bots/${BOT}/container`)).status !== 201) throw new Error("bot not started");
    // Interleaved halves, so drift in machine load hits both sides alike.
    const botbox: number[] = [];
    const direct: number[] = [];
    for (let half = 0; half < 2; half++) {
      botbox.push(...(await throughBotbox(server)));
      direct.push(...(await directHelper()));
    }
    const summary = (samples: number[]) => `p50 ${ms(percentile(samples, 50))} p99 ${ms(percentile(samples, 99))}`;
    const p50 = percentile(botbox, 50);
    return report({
      bench: "pty echo",
      figure: `keystroke to echo through the terminal WebSocket ${summary(botbox)}; the PTY helper alone ${summary(direct)} (${botbox.length} keys each)`,
      ratio: p50 / percentile(direct, 50),
      goal: "p50 < 5 ms",
      met: p50 < 5,
    });
  } finally {
    await server?.api("DELETE", `/bots/${BOT}`).catch(() => undefined);
    await server?.stop();
    // The server's home is below the scratch folder: its sandboxes first (their state is mounted), then the rest.
    const left = await removeSandboxes(path.join(scratch, "home"));
    await removeSandboxes(scratch);
    if (left > 0) console.error(`pty echo: ${left} sandboxes were left and removed`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchPtyEcho();
