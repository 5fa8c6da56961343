import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";

import { apiError, FakeApi, json } from "../vitest/fake-api";
import { App } from "./app";

const BOT = {
  id: "web-a",
  name: "Web A",
  network: "isolated",
  egress: { allow: null, deny: [] },
  isolation: "namespaces",
  limits: { memory_bytes: 256 * 2 ** 20, pids: null, cpus: null, disk_bytes: null },
  auto_start: false,
  created_at: "2026-12-06T03:00:00Z",
};

describe("the console app", () => {
  it("signs in with a token the API accepts and lists the bots", async () => {
    const api = new FakeApi()
      .on("GET", "/whoami", ({ authorization }) =>
        authorization === "Bearer admin" ? json({ kind: "admin" }) : apiError(401, "unauthorized", "invalid token"),
      )
      .on("GET", "/bots", json({ bots: [BOT] }))
      .on("GET", "/bots/web-a/container", json({ status: "running", usage: null }));
    render(<App />);
    const token = await screen.findByLabelText("API token");
    fireEvent.input(token, { target: { value: "wrong" } });
    fireEvent.submit(token.closest("form")!);
    expect((await screen.findByRole("alert")).textContent).toContain("invalid token (401 unauthorized)");

    fireEvent.input(token, { target: { value: "admin" } });
    fireEvent.submit(token.closest("form")!);
    await screen.findByText("Web A");
    expect(screen.getByText("signed in as admin")).toBeTruthy();
    expect(screen.getByText("running")).toBeTruthy();
    expect(sessionStorage.getItem("botbox.token")).toBe("admin");
    expect(api.sent("GET", "/bots")[0]!.authorization).toBe("Bearer admin");
  });

  it("goes back to sign-in, saying why, when the API stops accepting the token", async () => {
    sessionStorage.setItem("botbox.token", "revoked-soon");
    new FakeApi()
      .on("GET", "/whoami", json({ kind: "bot", bot_id: "web-a" }))
      .on("GET", "/bots", apiError(401, "unauthorized", "invalid or revoked token"));
    render(<App />);
    const notice = await screen.findByText(/Signed out: the API no longer accepts this tab's token/);
    expect(notice.textContent).toContain("invalid or revoked token");
    expect(screen.getByLabelText("API token")).toBeTruthy();
    expect(sessionStorage.getItem("botbox.token")).toBeNull();
  });

  it("says why the tab's saved token could not be checked when the server is unreachable", async () => {
    sessionStorage.setItem("botbox.token", "admin");
    new FakeApi().on("GET", "/whoami", () => Promise.reject(new TypeError("Failed to fetch")));
    render(<App />);
    expect((await screen.findByRole("alert")).textContent).toContain("Failed to fetch");
    expect(screen.getByLabelText("API token")).toBeTruthy();
  });

  it("shows any other refusal on the page with its message, and stays signed in", async () => {
    sessionStorage.setItem("botbox.token", "admin");
    new FakeApi()
      .on("GET", "/whoami", json({ kind: "admin" }))
      .on("GET", "/bots", apiError(503, "unavailable", "the store is not reachable: connect ECONNREFUSED"));
    render(<App />);
    expect((await screen.findByRole("alert")).textContent).toContain(
      "the store is not reachable: connect ECONNREFUSED (503 unavailable)",
    );
    expect(screen.getByText("signed in as admin")).toBeTruthy();
    expect(sessionStorage.getItem("botbox.token")).toBe("admin");
  });

  it("forgets the token on sign-out", async () => {
    sessionStorage.setItem("botbox.token", "admin");
    new FakeApi().on("GET", "/whoami", json({ kind: "admin" })).on("GET", "/bots", json({ bots: [] }));
    render(<App />);
    fireEvent.click(await screen.findByRole("button", { name: "Sign out" }));
    await screen.findByLabelText("API token");
    expect(sessionStorage.length).toBe(0);
    await waitFor(() => expect(screen.queryByText(/Signed out: the API/)).toBeNull());
  });
});
