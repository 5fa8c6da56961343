import { render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it, vi } from "vitest";

import { FakeApi, ndjson } from "../../../vitest/fake-api";
import { ApiClient } from "../../api/client";
import { ProcessLog } from "./process-log";

const BASE = "/bots/a/processes/p1";

const base64 = (bytes: number[]) => btoa(String.fromCharCode(...bytes));

describe("a process's live log", () => {
  it("decodes output as it comes, a character split across chunks too, and says what the cap dropped", async () => {
    // "€" is E2 82 AC in UTF-8: its bytes arrive in two chunks.
    new FakeApi().on(
      "GET",
      `${BASE}/output?follow=true`,
      ndjson([
        { type: "output", stream: "stdout", offset: 0, size: 6, encoding: "utf-8", data: "price " },
        { type: "output", stream: "stdout", offset: 6, size: 2, encoding: "base64", data: base64([0xe2, 0x82]) },
        { type: "output", stream: "stdout", offset: 8, size: 2, encoding: "base64", data: base64([0xac, 0x0a]) },
        { type: "dropped", from: 10, to: 4106 },
        {
          type: "exit",
          process: { id: "p1", status: "exited", exit_code: 3, command: "x", tag: "", pid: 1, started_at: "" },
        },
      ]),
    );
    const onChange = vi.fn();
    render(<ProcessLog api={new ApiClient("t")} base={BASE} onChange={onChange} />);
    await waitFor(() =>
      expect(screen.getByTestId("process-log").textContent).toBe("price €\n\n[4096 bytes dropped by the output cap]\n"),
    );
    expect((await screen.findByRole("status")).textContent).toContain("exited with 3");
    expect(onChange).toHaveBeenCalledOnce();
    expect((screen.getByRole("button", { name: "Kill" }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("shows the stream's own error event, and a refused stream's message", async () => {
    const api = new FakeApi().on(
      "GET",
      `${BASE}/output?follow=true`,
      ndjson([{ type: "error", code: "unavailable", message: "the agent restarted: output from offset 0 is gone" }]),
    );
    const { unmount } = render(<ProcessLog api={new ApiClient("t")} base={BASE} onChange={() => undefined} />);
    expect((await screen.findByRole("alert")).textContent).toContain(
      "the agent restarted: output from offset 0 is gone",
    );
    unmount();
    api.on("GET", `${BASE}/output?follow=true`, () =>
      Response.json({ error: { code: "not_found", message: "process p1 not found" } }, { status: 404 }),
    );
    render(<ProcessLog api={new ApiClient("t")} base={BASE} onChange={() => undefined} />);
    expect((await screen.findByRole("alert")).textContent).toContain("process p1 not found (404 not_found)");
  });
});
