import { useEffect, useRef, useState } from "preact/hooks";

import { ApiError, messageOf } from "../../api/api-error";
import { type ApiClient, segment } from "../../api/client";
import { TerminalConnection } from "./terminal-connection";
import type { XtermView } from "./xterm-view";

/** Reconnects after a drop wait 1, 2, 4, … seconds, up to this many tries. */
const MAX_RECONNECTS = 8;

/**
 * One terminal tab: xterm.js on a PTY session in the bot. It fits its box
 * (and tells the PTY) whenever the window or layout changes, and after a
 * dropped connection attaches to the same session again, which replays its
 * recent output.
 */
export function TerminalView(props: {
  api: ApiClient;
  botId: string;
  visible: boolean;
  /** Take the keyboard when shown; false when the reader moves between tabs by keyboard, which keeps it. */
  focusWhenShown: boolean;
  /** Take the keyboard each time this changes (the reader picked this terminal again). */
  focusRequest: number;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<XtermView>();
  const connection = useRef<TerminalConnection>();
  const [status, setStatus] = useState("connecting…");
  const [retry, setRetry] = useState<() => void>();

  useEffect(() => {
    let disposed = false;
    let exited = false;
    let sessionId: string | undefined;
    let attempts = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const observer = new ResizeObserver(() => view.current?.fit());

    const connect = async () => {
      if (disposed || !view.current) return;
      setRetry(undefined);
      setStatus(sessionId ? "reconnecting…" : "connecting…");
      try {
        await connection.current!.open({ cols: view.current.cols, rows: view.current.rows }, sessionId);
      } catch (error) {
        // A server without the terminal route will not grow one by retrying.
        if (error instanceof ApiError && error.code === "not_found" && error.message.startsWith("no route"))
          return setStatus(`this server has no terminal WebSocket: ${error.message}`);
        dropped(messageOf(error));
      }
    };
    const dropped = (reason: string) => {
      if (disposed) return;
      if (attempts >= MAX_RECONNECTS) {
        setStatus(`disconnected: ${reason}`);
        setRetry(() => () => {
          attempts = 0;
          void connect();
        });
        return;
      }
      const delay = 1000 * 2 ** attempts++;
      setStatus(`disconnected (${reason}); reconnecting in ${delay / 1000} s`);
      timer = setTimeout(() => void connect(), delay);
    };

    void import("./xterm-view").then(({ createXterm }) => {
      if (disposed || !host.current) return;
      const terminal = createXterm(host.current);
      view.current = terminal;
      connection.current = new TerminalConnection(props.api, props.botId, {
        output: (bytes) => terminal.write(bytes),
        session: (id) => {
          // A new session starts the screen afresh; a re-attach replays its recent output.
          if (sessionId && id === sessionId) terminal.write("\x1bc");
          sessionId = id;
          attempts = 0;
          setStatus(`connected: session ${id}`);
        },
        exit: (code, signal) => {
          exited = true;
          setStatus(`the shell exited${code === null ? "" : ` with ${code}`}${signal ? ` (${signal})` : ""}`);
          terminal.write(`\r\n[exited${code === null ? "" : ` ${code}`}]\r\n`);
        },
        dropped,
      });
      terminal.onInput((data) => connection.current?.send(data));
      terminal.onResize((cols, rows) => connection.current?.resize(cols, rows));
      observer.observe(host.current);
      terminal.focus();
      void connect();
    });
    return () => {
      disposed = true;
      clearTimeout(timer);
      observer.disconnect();
      connection.current?.close();
      // Closing a terminal hangs its shell up, as closing a terminal window does: no shell is left behind.
      if (sessionId && !exited)
        void props.api
          .json("POST", `/bots/${segment(props.botId)}/processes/${sessionId}/signal`, { signal: "HUP" })
          .catch(() => undefined);
      view.current?.dispose();
    };
  }, [props.api, props.botId]);

  useEffect(() => {
    if (props.visible) {
      view.current?.fit();
      if (props.focusWhenShown) view.current?.focus();
    }
  }, [props.visible]);
  useEffect(() => {
    if (props.visible) view.current?.focus();
  }, [props.focusRequest]);

  return (
    <div class="stack" hidden={!props.visible}>
      <div class="toolbar">
        <span role="status" class="grow muted">
          {status}
        </span>
        {retry && (
          <button type="button" onClick={retry}>
            Reconnect
          </button>
        )}
      </div>
      <div ref={host} class="terminal-host" data-testid="terminal" />
    </div>
  );
}
