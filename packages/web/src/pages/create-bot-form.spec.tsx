import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it, vi } from "vitest";

import { apiError, FakeApi, json } from "../../vitest/fake-api";
import { ApiClient } from "../api/client";
import { CreateBotForm } from "./create-bot-form";

/** Fields filled in as a person does, by label. */
function fill(fields: Record<string, string>) {
  for (const [label, value] of Object.entries(fields)) {
    const field = screen.getByLabelText(label, { exact: false }) as HTMLInputElement;
    field.value = value;
    fireEvent.input(field);
    fireEvent.change(field);
  }
}

function fillAndSubmit(fields: Record<string, string>) {
  fill(fields);
  fireEvent.submit(screen.getByRole("form", { name: "New bot" }));
}

function renderForm() {
  const api = new FakeApi().on("POST", "/bots", json({ id: "made" }, 201));
  const onCreated = vi.fn();
  render(<CreateBotForm api={new ApiClient("t")} onCreated={onCreated} />);
  return { api, onCreated };
}

describe("the create-bot form", () => {
  it("leaves empty fields to the server's defaults", async () => {
    const { api, onCreated } = renderForm();
    fillAndSubmit({ Name: "Web A" });
    await waitFor(() => expect(onCreated).toHaveBeenCalledOnce());
    expect(api.sent("POST", "/bots")[0]!.body).toEqual({ name: "Web A", auto_start: false });
  });

  it("sends limits in the API's units: MiB become whole bytes", async () => {
    const { api, onCreated } = renderForm();
    fillAndSubmit({ Name: "A", "Memory (MiB)": "256.5", CPUs: "0.5", "Processes (pids)": "64", "Disk (MiB)": "100" });
    await waitFor(() => expect(onCreated).toHaveBeenCalledOnce());
    expect(api.sent("POST", "/bots")[0]!.body).toMatchObject({
      limits: { memory_bytes: 256.5 * 2 ** 20, cpus: 0.5, pids: 64, disk_bytes: 100 * 2 ** 20 },
    });
  });

  it('sends an isolated bot\'s egress lists, one entry per line or comma; "none" allows nothing', async () => {
    const { api, onCreated } = renderForm();
    fill({ Network: "isolated" });
    fillAndSubmit({
      Name: "A",
      "Egress allow": "example.com\n 10.0.0.0/8, 2001:db8::/32\n",
      "Egress deny": "10.1.0.0/16",
    });
    await waitFor(() => expect(onCreated).toHaveBeenCalled());
    expect(api.sent("POST", "/bots").at(-1)!.body).toMatchObject({
      network: "isolated",
      egress: { allow: ["example.com", "10.0.0.0/8", "2001:db8::/32"], deny: ["10.1.0.0/16"] },
    });
    fillAndSubmit({ "Egress allow": "none", "Egress deny": "" });
    await waitFor(() => expect(api.sent("POST", "/bots")).toHaveLength(2));
    expect(api.sent("POST", "/bots")[1]!.body).toMatchObject({ egress: { allow: [] } });
  });

  it.each([
    [{ "Memory (MiB)": "8" }, "Memory (MiB): 8 is below the least the API allows, 16"],
    [{ "Processes (pids)": "10.5" }, "Processes (pids): 10.5 is not a whole number"],
    [{ CPUs: "2000" }, "CPUs: 2000 is above the most the API allows, 1024"],
  ])("refuses %o before sending, naming the field", async (fields, message) => {
    const { api } = renderForm();
    fillAndSubmit({ Name: "A", ...fields });
    expect((await screen.findByRole("alert")).textContent).toContain(message);
    expect(api.sent("POST", "/bots")).toEqual([]);
  });

  it('refuses an egress entry with a space, and "none" beside other entries, before sending', async () => {
    const { api } = renderForm();
    fill({ Network: "isolated" });
    fillAndSubmit({ Name: "A", "Egress deny": "example.com bad.example" });
    expect((await screen.findByRole("alert")).textContent).toContain(
      'Egress deny: "example.com bad.example" is not an address, CIDR or host name',
    );
    fillAndSubmit({ "Egress deny": "", "Egress allow": "none\nexample.com" });
    await waitFor(() => expect(screen.getByRole("alert").textContent).toContain('"none" stands alone'));
    expect(api.sent("POST", "/bots")).toEqual([]);
  });

  it("shows the API's refusal with its message and keeps the form open", async () => {
    const { api, onCreated } = renderForm();
    api.on("POST", "/bots", apiError(400, "bad_request", 'egress entry "999.1.1.1": prefix length must be 0 to 32'));
    fillAndSubmit({ Name: "A" });
    expect((await screen.findByRole("alert")).textContent).toContain(
      'egress entry "999.1.1.1": prefix length must be 0 to 32 (400 bad_request)',
    );
    expect(onCreated).not.toHaveBeenCalled();
    expect(screen.getByRole("form", { name: "New bot" })).toBeTruthy();
  });
});
