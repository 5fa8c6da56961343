import type { AgentClient, ExecOptions } from "../client/index.js";

export interface ExecBytes {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

/** Runs a command to completion, keeping its output as bytes. */
export async function execBytes(client: AgentClient, command: string, options: ExecOptions = {}): Promise<ExecBytes> {
  const handle = client.execStream(command, options);
  handle.closeStdin();
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let exitCode = -1;
  for await (const event of handle) {
    if (event.type === "stdout") stdout.push(event.data);
    else if (event.type === "stderr") stderr.push(event.data);
    else exitCode = event.exitCode;
  }
  return { stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr), exitCode };
}

/** Decodes bytes cut from the end of a stream, dropping a character split by the cut. */
export function decodeTail(bytes: Buffer): string {
  let start = 0;
  while (start < bytes.length && start < 3 && (bytes[start]! & 0xc0) === 0x80) start++;
  return bytes.toString("utf8", start);
}
