import { useState } from "preact/hooks";

import { messageOf } from "../api/api-error";
import { type Session, signIn } from "../session";
import { ErrorNotice } from "../ui/error-notice";

/**
 * Paste a token: the admin token, or a bot's (POST /bots/:id/tokens), which
 * reaches only that bot. `ended` is the API's refusal that ended the last
 * session, if one did; `problem` why the tab's saved token could not be
 * checked.
 */
export function SignIn(props: { onSignedIn: (session: Session) => void; ended?: unknown; problem?: unknown }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  return (
    <main class="sign-in">
      <h1>botbox console</h1>
      {props.ended !== undefined && (
        <div class="notice" role="status">
          Signed out: the API no longer accepts this tab&apos;s token ({messageOf(props.ended)}). Sign in again.
        </div>
      )}
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          setBusy(true);
          setError(undefined);
          try {
            props.onSignedIn(await signIn(token));
          } catch (reason) {
            setError(reason);
          } finally {
            setBusy(false);
          }
        }}
      >
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          required
          autofocus
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
        />
        <p class="hint">
          The admin token (the server prints where it is kept) or a bot&apos;s token. It is kept in this tab only, and
          forgotten when the tab closes.
        </p>
        <ErrorNotice error={error ?? props.problem} />
        <button type="submit" class="primary" disabled={busy || token.trim() === ""}>
          Sign in
        </button>
      </form>
    </main>
  );
}
