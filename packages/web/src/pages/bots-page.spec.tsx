import { render, screen, waitFor } from "@testing-library/preact";
import { afterEach, describe, expect, it, vi } from "vitest";

import { apiError, FakeApi, json } from "../../vitest/fake-api";
import { ApiClient } from "../api/client";
import { REFRESH_MS } from "../ui/use-resource";
import { BotsPage } from "./bots-page";

const bot = (id: string) => ({
  id,
  name: id.toUpperCase(),
  network: "isolated",
  egress: { allow: ["example.com"], deny: [] },
  isolation: "namespaces",
  limits: { memory_bytes: 512 * 2 ** 20, pids: 100, cpus: 1, disk_bytes: null },
  auto_start: false,
  created_at: "2026-12-06T03:00:00Z",
});

afterEach(() => {
  vi.useRealTimers();
});

describe("the bots page", () => {
  it("shows each bot's state and live use, and asks again every few seconds", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let memory = 30 * 2 ** 20;
    const api = new FakeApi()
      .on("GET", "/bots", json({ bots: [bot("a")] }))
      .on("GET", "/bots/a/container", () =>
        json({ bot_id: "a", status: "running", usage: { memory_bytes: memory, processes: 3 } }),
      );
    render(<BotsPage session={{ api: new ApiClient("t"), principal: { kind: "admin" } }} />);
    expect((await screen.findByTestId("usage")).textContent).toBe("30 MiB in use, 3 processes");
    expect(screen.getByText("allow: example.com")).toBeTruthy();
    expect(screen.getByText("memory 512 MiB")).toBeTruthy();

    memory = 45 * 2 ** 20;
    await vi.advanceTimersByTimeAsync(REFRESH_MS);
    await waitFor(() => expect(screen.getByTestId("usage").textContent).toBe("45 MiB in use, 3 processes"));
    expect(api.sent("GET", "/bots/a/container").length).toBeGreaterThanOrEqual(2);
  });

  it("shows one bot's state error in its row and the other bots as usual", async () => {
    new FakeApi()
      .on("GET", "/bots", json({ bots: [bot("a"), bot("b")] }))
      .on("GET", "/bots/a/container", apiError(500, "internal", "the runtime did not answer"))
      .on("GET", "/bots/b/container", json({ bot_id: "b", status: "stopped", usage: null }));
    render(<BotsPage session={{ api: new ApiClient("t"), principal: { kind: "admin" } }} />);
    expect((await screen.findByRole("alert")).textContent).toContain("the runtime did not answer (500 internal)");
    expect(screen.getByText("stopped")).toBeTruthy();
  });

  it("offers a bot token no admin action", async () => {
    new FakeApi()
      .on("GET", "/bots", json({ bots: [bot("a")] }))
      .on("GET", "/bots/a/container", json({ bot_id: "a", status: "stopped", usage: null }));
    render(<BotsPage session={{ api: new ApiClient("t"), principal: { kind: "bot", bot_id: "a" } }} />);
    await screen.findByText("stopped");
    expect(screen.queryByRole("button", { name: "New bot" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Delete" })).toBeNull();
    expect(screen.getByRole("button", { name: "Start" })).toBeTruthy();
  });
});
