import type { ComponentChildren } from "preact";

/**
 * A form the page handles itself: Enter or its submit button calls
 * `onSubmit` with the fields and the form, and the browser never navigates.
 * The browser's own checks (required, min, max) still run first.
 */
export function InPageForm(props: {
  label?: string;
  class?: string;
  onSubmit: (fields: FormData, form: HTMLFormElement) => void;
  children: ComponentChildren;
}) {
  return (
    <form
      class={props.class}
      aria-label={props.label}
      onSubmit={(event) => {
        event.preventDefault();
        props.onSubmit(new FormData(event.currentTarget), event.currentTarget);
      }}
    >
      {props.children}
    </form>
  );
}
