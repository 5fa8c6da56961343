import { describe, expect, it } from "vitest";

import { apiError, FakeApi, json } from "../vitest/fake-api";
import { resumeSession, signIn, signOut } from "./session";

describe("the session's token", () => {
  it("is checked with GET /whoami and kept in this tab's sessionStorage only", async () => {
    const api = new FakeApi().on("GET", "/whoami", json({ kind: "admin" }));
    const session = await signIn("  admin-token \n");
    expect(session.principal).toEqual({ kind: "admin" });
    expect(api.requests[0]!.authorization).toBe("Bearer admin-token");
    expect(sessionStorage.getItem("botbox.token")).toBe("admin-token");
    expect(localStorage.length).toBe(0);
    expect(document.cookie).toBe("");
  });

  it("is not kept when the API refuses it", async () => {
    new FakeApi().on("GET", "/whoami", apiError(401, "unauthorized", "invalid or revoked token"));
    await expect(signIn("wrong")).rejects.toThrow("invalid or revoked token");
    expect(sessionStorage.length).toBe(0);
  });

  it("resumes the tab's session while the API accepts it, and forgets it once refused", async () => {
    sessionStorage.setItem("botbox.token", "bot-token");
    const api = new FakeApi().on("GET", "/whoami", json({ kind: "bot", bot_id: "a" }));
    expect((await resumeSession())?.principal).toEqual({ kind: "bot", bot_id: "a" });
    api.on("GET", "/whoami", apiError(401, "unauthorized", "invalid or revoked token"));
    expect(await resumeSession()).toBeUndefined();
    expect(sessionStorage.getItem("botbox.token")).toBeNull();
  });

  it("is kept when the API cannot be reached, so a reload resumes once it is back", async () => {
    sessionStorage.setItem("botbox.token", "admin");
    new FakeApi().on("GET", "/whoami", () => Promise.reject(new TypeError("Failed to fetch")));
    await expect(resumeSession()).rejects.toThrow("Failed to fetch");
    expect(sessionStorage.getItem("botbox.token")).toBe("admin");
  });

  it("is gone after sign-out", async () => {
    new FakeApi().on("GET", "/whoami", json({ kind: "admin" }));
    await signIn("admin-token");
    signOut();
    expect(sessionStorage.length).toBe(0);
    expect(await resumeSession()).toBeUndefined();
  });
});
