import { StringDecoder } from "node:string_decoder";

export interface StderrLinesOptions {
  /** Longer lines are cut to this many characters (the original allowed 1 MiB). Default 4096. */
  maxLineLength?: number;
  /** How many of the last non-empty lines to keep for error messages. Default 20. */
  tailLines?: number;
}

/**
 * Splits a server's stderr into lines as chunks arrive. Each non-empty line
 * goes to `onLine` once, cut to a bounded length, and the last few are kept:
 * they explain a crash better than an exit code alone. Memory stays bounded
 * whatever the server writes, newlines or not.
 */
export class StderrLines {
  private readonly decoder = new StringDecoder("utf8");
  private readonly maxLineLength: number;
  private readonly tailLines: number;
  private readonly recent: string[] = [];
  private partial = "";
  /** True while the rest of an over-long line is being skipped. */
  private skipping = false;

  constructor(
    private readonly onLine: (line: string) => void,
    options: StderrLinesOptions = {},
  ) {
    this.maxLineLength = options.maxLineLength ?? 4096;
    this.tailLines = options.tailLines ?? 20;
  }

  /** The last non-empty lines, oldest first. */
  get tail(): readonly string[] {
    return this.recent;
  }

  push(chunk: Buffer): void {
    const pieces = this.decoder.write(chunk).split("\n");
    const last = pieces.pop()!;
    for (const piece of pieces) {
      if (this.skipping) this.skipping = false;
      else this.emit(this.partial + piece);
      this.partial = "";
    }
    if (this.skipping) return;
    this.partial += last;
    if (this.partial.length > this.maxLineLength) {
      this.emit(this.partial);
      this.partial = "";
      this.skipping = true;
    }
  }

  /** Emits what is left of an unterminated last line. */
  flush(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = "";
    if (!this.skipping) this.emit(rest);
    this.skipping = false;
  }

  private emit(raw: string): void {
    const line = raw.replace(/\r$/, "").trimEnd();
    if (line.trim() === "") return;
    const cut = line.length > this.maxLineLength ? `${line.slice(0, this.maxLineLength)}…` : line;
    this.recent.push(cut);
    if (this.recent.length > this.tailLines) this.recent.shift();
    this.onLine(cut);
  }
}
