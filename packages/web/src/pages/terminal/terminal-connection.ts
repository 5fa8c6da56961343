import type { ApiClient } from "../../api/client";
import { segment } from "../../api/client";

/** What the terminal WebSocket says in its text frames (docs/processes.md, "Terminals"). */
type ControlMessage =
  | { type: "session"; id: string; cols?: number; rows?: number; status: string }
  | { type: "exit"; exitCode: number | null; signal: string | null };

export interface TerminalEvents {
  output(bytes: Uint8Array): void;
  /** The session's process id: what a reconnect attaches to again. */
  session(id: string): void;
  exit(exitCode: number | null, signal: string | null): void;
  /** The connection ended without an exit: `reason` says why when the server gave one. */
  dropped(reason: string): void;
}

/**
 * One connection of a terminal: a one-time ticket from the API (a browser
 * cannot put a token on a WebSocket), then the WebSocket itself. Binary
 * frames are terminal bytes both ways; text frames JSON control messages.
 */
export class TerminalConnection {
  #socket?: WebSocket;
  #exited = false;
  readonly #encoder = new TextEncoder();

  constructor(
    private readonly api: ApiClient,
    private readonly botId: string,
    private readonly events: TerminalEvents,
  ) {}

  /** Opens a new session, or attaches to `sessionId` again (its recent output is replayed). */
  async open(size: { cols: number; rows: number }, sessionId?: string): Promise<void> {
    const ticket = await this.api.json<{ path: string }>(
      "POST",
      `/bots/${segment(this.botId)}/terminal/tickets`,
      sessionId ? { session: sessionId } : {},
    );
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}${ticket.path}&cols=${size.cols}&rows=${size.rows}`);
    socket.binaryType = "arraybuffer";
    this.#socket = socket;
    socket.onmessage = (event) => {
      if (typeof event.data !== "string") return this.events.output(new Uint8Array(event.data as ArrayBuffer));
      const message = JSON.parse(event.data) as ControlMessage;
      if (message.type === "session") this.events.session(message.id);
      else if (message.type === "exit") {
        this.#exited = true;
        this.events.exit(message.exitCode, message.signal);
      }
    };
    socket.onclose = (event) => {
      if (this.#socket !== socket || this.#exited) return;
      this.#socket = undefined;
      this.events.dropped(event.reason || `closed (${event.code})`);
    };
  }

  send(text: string): void {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(this.#encoder.encode(text));
  }

  resize(cols: number, rows: number): void {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify({ type: "resize", cols, rows }));
  }

  /** Drops the connection (the session goes on in the bot): for a reconnect, or leaving the page. */
  close(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.close();
  }
}
