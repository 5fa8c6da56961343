import { fireEvent, render, screen } from "@testing-library/preact";
import { describe, expect, it, vi } from "vitest";

import { ConfirmButton } from "./confirm-button";

function renderRollBack() {
  const onConfirm = vi.fn();
  render(
    <ConfirmButton
      label="Roll back"
      title="Roll back to version 3?"
      confirmLabel="Roll back to version 3"
      danger
      onConfirm={onConfirm}
    >
      <p>Changes since are lost.</p>
    </ConfirmButton>,
  );
  fireEvent.click(screen.getByRole("button", { name: "Roll back" }));
  const dialog = screen.getByRole("dialog", { hidden: true }) as HTMLDialogElement;
  return { onConfirm, dialog };
}

/** A click on a dialog's submit button as the browser reports it: the form's submit event names its submitter. */
function choose(dialog: HTMLDialogElement, name: string) {
  const button = [...dialog.querySelectorAll("button")].find((candidate) => candidate.textContent === name)!;
  const submit = new Event("submit", { bubbles: true, cancelable: true });
  Object.defineProperty(submit, "submitter", { value: button });
  dialog.querySelector("form")!.dispatchEvent(submit);
}

describe("a confirmed action", () => {
  it("asks in a modal dialog that says what will happen", () => {
    const { onConfirm, dialog } = renderRollBack();
    expect(dialog.open).toBe(true);
    expect(dialog.getAttribute("aria-label")).toBe("Roll back to version 3?");
    expect(dialog.textContent).toContain("Changes since are lost.");
    expect(onConfirm).not.toHaveBeenCalled();
  });

  it("does nothing when cancelled", () => {
    const { onConfirm, dialog } = renderRollBack();
    choose(dialog, "Cancel");
    expect(onConfirm).not.toHaveBeenCalled();
  });

  it("runs once confirmed", () => {
    const { onConfirm, dialog } = renderRollBack();
    choose(dialog, "Roll back to version 3");
    expect(onConfirm).toHaveBeenCalledOnce();
  });
});
