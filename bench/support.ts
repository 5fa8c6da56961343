import { mkdir, mkdtemp } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

export { startAgentProcess } from "../test/support/agent-process.js";

/** Scratch space on the repository's disk (not tmpfs), so file figures compare like with like. */
export async function scratchDir(name: string): Promise<string> {
  const root = fileURLToPath(new URL("../.bench-tmp/", import.meta.url));
  await mkdir(root, { recursive: true });
  return mkdtemp(path.join(root, `${name}-`));
}

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const ms = (value: number) => `${value.toFixed(3)} ms`;
export const mbps = (bytes: number, seconds: number) => `${(bytes / seconds / 2 ** 20).toFixed(0)} MiB/s`;

export async function time(run: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

export interface Figure {
  bench: string;
  figure: string;
  ratio: number;
  goal: string;
  met: boolean;
}

export function report(figure: Figure): Figure {
  console.log(
    `${figure.bench}: ${figure.figure}; ratio ${figure.ratio.toFixed(2)} (goal ${figure.goal}) ${figure.met ? "MET" : "NOT MET"}`,
  );
  return figure;
}
