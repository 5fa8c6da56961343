import { useState } from "preact/hooks";

import { type Session, signIn } from "../session";
import { ErrorNotice } from "../ui/error-notice";

/** Paste a token: the admin token, or a bot's (POST /bots/:id/tokens), which reaches only that bot. */
export function SignIn(props: { onSignedIn: (session: Session) => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  return (
    <main class="sign-in">
      <h1>botbox console</h1>
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
        <ErrorNotice error={error} />
        <button type="submit" class="primary" disabled={busy || token.trim() === ""}>
          Sign in
        </button>
      </form>
    </main>
  );
}
