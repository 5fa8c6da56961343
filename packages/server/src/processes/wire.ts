import type { ProcessEvent, ProcessRef, ProcessView } from "../client/index.js";

/** A process id as the agent makes them: 12 hex digits. A tag of that shape is refused, so a name is never ambiguous. */
export const PROCESS_ID_PATTERN = /^[0-9a-f]{12}$/;

/** A path's `:process`: an id when it has an id's shape, else a tag. */
export function processRef(name: string): ProcessRef {
  return PROCESS_ID_PATTERN.test(name) ? { id: name } : { tag: name };
}

/** A process on the wire (HTTP and the CLI's --json): snake_case, as the API's other answers. */
export function processJson(view: ProcessView) {
  return {
    id: view.id,
    tag: view.tag,
    command: view.shell !== "" ? view.shell : view.argv,
    cwd: view.cwd,
    pid: view.pid,
    status: view.status,
    started_at: view.startedAt,
    ...(view.endedAt ? { ended_at: view.endedAt } : {}),
    ...(view.exitCode !== undefined ? { exit_code: view.exitCode } : {}),
    ...(view.signal ? { signal: view.signal } : {}),
    ...(view.pty ? { pty: view.pty } : {}),
    output_bytes: view.outputBytes,
    dropped_bytes: view.droppedBytes,
    input_open: view.inputOpen,
  };
}

export type OutputEncoding = "auto" | "base64";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * One event of `GET .../output` as JSON. Output bytes go as UTF-8 text when
 * the chunk is valid UTF-8 (`encoding: "utf-8"`: most output is text, and it
 * stays readable in `curl` and a browser's EventSource), else as base64
 * (`encoding: "base64"`: exact bytes, for binary output or a chunk that ends
 * inside a character); `encoding=base64` asks for base64 always. Offsets and
 * `size` count bytes either way.
 */
export function outputEventJson(event: ProcessEvent, encoding: OutputEncoding) {
  if (event.type === "dropped") return { type: "dropped", from: event.from, to: event.to };
  if (event.type === "exit") return { type: "exit", process: processJson(event.process) };
  const text = encoding === "auto" ? utf8Text(event.data) : undefined;
  return {
    type: "output",
    stream: event.stream,
    offset: event.offset,
    size: event.data.byteLength,
    ...(text === undefined
      ? { encoding: "base64", data: event.data.toString("base64") }
      : { encoding: "utf-8", data: text }),
  };
}

function utf8Text(bytes: Buffer): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** The offset after an event: what a reader passes as `since` (or SSE's Last-Event-ID) to resume. */
export function resumeOffset(event: ProcessEvent): number | undefined {
  if (event.type === "output") return event.offset + event.data.byteLength;
  if (event.type === "dropped") return event.to;
  if (event.type === "exit") return event.process.outputBytes;
  return undefined;
}
