import type { AgentClient, ExecOptions } from "../client/index.js";

/**
 * The most bytes of each stream execBytes keeps. The job scripts print status
 * lines and output tails, far below this; a runaway stream is cut, not held.
 */
export const EXEC_BYTES_CAP = 4 * 1024 * 1024;

export interface ExecBytes {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
  /** True when a stream passed the cap and its end was dropped. */
  truncated: boolean;
}

/** Runs a command to completion, keeping the first `cap` bytes of each stream. */
export async function execBytes(
  client: AgentClient,
  command: string,
  options: ExecOptions = {},
  cap = EXEC_BYTES_CAP,
): Promise<ExecBytes> {
  const handle = client.execStream(command, options);
  handle.closeStdin();
  const stdout = new CappedBytes(cap);
  const stderr = new CappedBytes(cap);
  let exitCode = -1;
  for await (const event of handle) {
    if (event.type === "stdout") stdout.push(event.data);
    else if (event.type === "stderr") stderr.push(event.data);
    else exitCode = event.exitCode;
  }
  return {
    stdout: stdout.bytes(),
    stderr: stderr.bytes(),
    exitCode,
    truncated: stdout.truncated || stderr.truncated,
  };
}

class CappedBytes {
  private readonly chunks: Buffer[] = [];
  private length = 0;
  truncated = false;

  constructor(private readonly cap: number) {}

  push(chunk: Buffer): void {
    const take = Math.min(chunk.length, this.cap - this.length);
    if (take < chunk.length) this.truncated = true;
    if (take <= 0) return;
    this.chunks.push(Buffer.from(chunk.subarray(0, take)));
    this.length += take;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Decodes bytes cut from the end of a stream, dropping a character split by the cut. */
export function decodeTail(bytes: Buffer): string {
  let start = 0;
  while (start < bytes.length && start < 3 && (bytes[start]! & 0xc0) === 0x80) start++;
  return bytes.toString("utf8", start);
}
