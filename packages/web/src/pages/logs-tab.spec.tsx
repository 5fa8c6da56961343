import { render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";

import { FakeApi, ndjson } from "../../vitest/fake-api";
import { ApiClient } from "../api/client";
import type { Bot } from "../api/types";
import { LogsTab, MAX_LOG_ROWS } from "./logs-tab";

const FOLLOW = "/bots/a/logs/follow?tail=200";

const call = (method: string, n: number) =>
  JSON.stringify({
    level: 30,
    time: Date.UTC(2026, 11, 6, 10, 0, 0, n),
    msg: "call",
    method,
    durationMs: 1.5,
    code: "OK",
  });

function renderTab() {
  const session = { api: new ApiClient("token") } as never;
  const bot = { id: "a" } as Bot;
  return render(<LogsTab session={session} bot={bot} state={undefined} refresh={() => undefined} />);
}

describe("a bot's agent log, followed", () => {
  it("shows each line as a row: a call's method, duration and code; other lines by their message", async () => {
    new FakeApi().on(
      "GET",
      FOLLOW,
      ndjson([
        { type: "line", line: JSON.stringify({ level: 30, time: 0, msg: "agent listening" }) },
        { type: "line", line: call("Exec", 1) },
        { type: "keepalive" },
        { type: "line", line: "not json at all" },
      ]),
    );
    renderTab();
    await screen.findByText("not json at all");
    expect(screen.getByText("Exec 1.5 ms OK")).toBeTruthy();
    expect(screen.getByText("agent listening")).toBeTruthy();
    expect(screen.getByText("10:00:00.001")).toBeTruthy();
    expect(screen.getAllByRole("row")).toHaveLength(4); // The header and three lines: no row for the keep-alive.
  });

  it("keeps only the newest rows, and shows the server's error event", async () => {
    const lines = Array.from({ length: MAX_LOG_ROWS + 5 }, (_, n) => ({ type: "line", line: call(`M${n}`, n % 1000) }));
    new FakeApi().on(
      "GET",
      FOLLOW,
      ndjson([...lines, { type: "error", code: "conflict", message: "the agent log agent.log is a symbolic link" }]),
    );
    renderTab();
    await screen.findByText(/is a symbolic link/);
    await waitFor(() => expect(screen.getAllByRole("row")).toHaveLength(MAX_LOG_ROWS + 1));
    expect(screen.queryByText(/^M4 /)).toBeNull();
    expect(screen.getByText(/^M5 /)).toBeTruthy();
  });
});
