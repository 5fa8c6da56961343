import { useEffect, useRef, useState } from "preact/hooks";

import { segment } from "../api/client";
import type { LogEvent } from "../api/types";
import { DataTable } from "../ui/data-table";
import { ErrorNotice } from "../ui/error-notice";
import type { TabProps } from "./bot-page";

/** Keep the page's memory bounded: only the newest lines are shown. */
export const MAX_LOG_ROWS = 1000;
/** How many of the log's newest lines the tab opens with. */
const TAIL = 200;
const FLUSH_MS = 100;

const LEVELS: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };

/** One line of the agent's log as a row: a call's method, duration and code, or a message. */
interface LogRow {
  key: number;
  time: string;
  level: string;
  message: string;
  call: string;
  raw: string;
}

let rowKey = 0;

function rowOf(line: string): LogRow {
  let entry: Record<string, unknown> = {};
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    // Not the agent's JSON (something else wrote it): shown as it is.
  }
  const time = typeof entry.time === "number" ? new Date(entry.time).toISOString().slice(11, 23) : "";
  const err = entry.err as { message?: unknown } | undefined;
  const call = [
    entry.method,
    entry.path,
    typeof entry.durationMs === "number" ? `${entry.durationMs} ms` : undefined,
    entry.code,
  ].filter((word): word is string => typeof word === "string" && word !== "");
  return {
    key: rowKey++,
    time,
    level: LEVELS[entry.level as number] ?? "",
    message:
      typeof entry.msg === "string" ? entry.msg + (typeof err?.message === "string" ? `: ${err.message}` : "") : line,
    call: call.join(" "),
    raw: line,
  };
}

/**
 * The bot's agent log, followed as it is written (GET …/logs/follow,
 * NDJSON): a row per line, the calls with their method, duration and gRPC
 * code. New rows scroll into view unless the reader has scrolled up.
 */
export function LogsTab({ session, bot }: TabProps) {
  const [rows, setRows] = useState<LogRow[]>([]);
  const [failure, setFailure] = useState<unknown>();
  const box = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);

  useEffect(() => {
    const abort = new AbortController();
    setRows([]);
    setFailure(undefined);
    // Lines are shown in batches, at most every FLUSH_MS: a busy agent logs
    // hundreds a second, and a render per line would redraw the table each time.
    let pending: LogRow[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      timer = undefined;
      const batch = pending;
      pending = [];
      setRows((all) => [...all, ...batch].slice(-MAX_LOG_ROWS));
    };
    session.api
      .followLines(
        `/bots/${segment(bot.id)}/logs/follow?tail=${TAIL}`,
        (line) => {
          const event = line as LogEvent;
          if (event.type === "line") {
            pending.push(rowOf(event.line));
            if (pending.length > MAX_LOG_ROWS) pending = pending.slice(-MAX_LOG_ROWS);
            timer ??= setTimeout(flush, FLUSH_MS);
          } else if (event.type === "error") setFailure(new Error(event.message));
        },
        abort.signal,
      )
      .catch((error: unknown) => {
        if (!abort.signal.aborted) setFailure(error);
      });
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [bot.id]);

  useEffect(() => {
    const element = box.current;
    if (element && atBottom.current) element.scrollTop = element.scrollHeight;
  }, [rows]);

  return (
    <section class="panel stack" aria-label="Agent log">
      <p class="muted">
        The agent's log, live: one line per call it answers, newest last (the last {MAX_LOG_ROWS} shown).
      </p>
      <ErrorNotice error={failure} />
      <div
        ref={box}
        class="log-rows"
        tabIndex={0}
        onScroll={(event) => {
          const element = event.currentTarget;
          atBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 8;
        }}
      >
        <DataTable
          label="Agent log lines"
          columns={["Time", "Level", "Message", "Call"]}
          rows={rows}
          empty="Nothing logged yet."
          row={(row) => (
            <tr key={row.key} data-level={row.level} title={row.raw}>
              <td class="nowrap">{row.time}</td>
              <td>{row.level}</td>
              <td>{row.message}</td>
              <td>{row.call}</td>
            </tr>
          )}
        />
      </div>
    </section>
  );
}
