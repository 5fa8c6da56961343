/**
 * A one-line transfer progress display (bytes, rate, ETA) on a terminal's
 * stderr; silent when stderr is not a terminal, so pipes and scripts see
 * only the data.
 */
export interface Progress {
  add(bytes: number): void;
  done(): void;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${UNITS[unit]}`;
}

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--:--";
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  return `${String(minutes).padStart(2, "0")}:${String(whole % 60).padStart(2, "0")}`;
}

export function createProgress(
  label: string,
  total: number | undefined,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (!stream.isTTY) return { add: () => undefined, done: () => undefined };
  const started = Date.now();
  let sent = 0;
  let lastDraw = 0;
  const draw = (final: boolean) => {
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    const rate = sent / seconds;
    const parts = [label, formatBytes(sent)];
    if (total !== undefined) parts.push(`of ${formatBytes(total)} (${Math.floor((sent / Math.max(total, 1)) * 100)}%)`);
    parts.push(`${formatBytes(rate)}/s`);
    if (total !== undefined && !final) parts.push(`ETA ${formatSeconds((total - sent) / Math.max(rate, 1))}`);
    stream.write(`\r\x1b[K${parts.join("  ")}${final ? "\n" : ""}`);
  };
  return {
    add(bytes) {
      sent += bytes;
      const now = Date.now();
      if (now - lastDraw >= 100) {
        lastDraw = now;
        draw(false);
      }
    },
    done() {
      draw(true);
    },
  };
}

/** Counts what flows through a web stream into a progress display. */
export function countedStream(source: ReadableStream<Uint8Array>, progress: Progress): ReadableStream<Uint8Array> {
  return source.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        progress.add(chunk.byteLength);
        controller.enqueue(chunk);
      },
    }),
  );
}
