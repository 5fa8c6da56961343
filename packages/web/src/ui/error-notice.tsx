import { messageOf } from "../api/api-error";

/** An error from the API (or the browser) shown with its message: nothing is swallowed. */
export function ErrorNotice(props: { error: unknown; onDismiss?: () => void }) {
  if (props.error === undefined || props.error === null) return null;
  return (
    <div class="error" role="alert">
      <span>{messageOf(props.error)}</span>
      {props.onDismiss && (
        <button type="button" class="link" onClick={props.onDismiss} aria-label="Dismiss the error">
          ×
        </button>
      )}
    </div>
  );
}
