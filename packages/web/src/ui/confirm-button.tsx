import type { ComponentChildren } from "preact";
import { useRef } from "preact/hooks";

/**
 * A button that asks first, in a modal <dialog>: focus moves into it, Escape
 * cancels, and the confirming button says what happens.
 */
export function ConfirmButton(props: {
  label: string;
  title: string;
  confirmLabel: string;
  onConfirm: () => void;
  children?: ComponentChildren;
  danger?: boolean;
  disabled?: boolean;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  return (
    <>
      <button
        type="button"
        class={props.danger ? "danger" : undefined}
        disabled={props.disabled}
        onClick={() => dialog.current?.showModal()}
      >
        {props.label}
      </button>
      <dialog ref={dialog} aria-label={props.title}>
        <form
          method="dialog"
          onSubmit={(event) => {
            const submitter = (event as SubmitEvent).submitter as HTMLButtonElement | null;
            if (submitter?.value === "confirm") props.onConfirm();
          }}
        >
          <h3>{props.title}</h3>
          {props.children}
          <div class="actions">
            <button type="submit" value="cancel" autofocus>
              Cancel
            </button>
            <button type="submit" value="confirm" class={props.danger ? "danger" : "primary"}>
              {props.confirmLabel}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
