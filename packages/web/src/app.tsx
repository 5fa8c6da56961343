import { useEffect, useState } from "preact/hooks";

import { BotPage } from "./pages/bot-page";
import { BotsPage } from "./pages/bots-page";
import { SignIn } from "./pages/sign-in";
import { CONSOLE_ROOT, navigate, routeOf, useLocation } from "./router";
import { resumeSession, type Session, signOut } from "./session";
import { Link } from "./ui/link";

/** The console: sign-in until there is a session, then the page the path names. */
export function App() {
  const [session, setSession] = useState<Session | null>();
  // Why the last session ended when the API ended it, shown on the sign-in page.
  const [ended, setEnded] = useState<unknown>();
  // Why the tab's saved token could not be checked (not a refusal: the server unreachable, say).
  const [resumeError, setResumeError] = useState<unknown>();
  const url = useLocation();
  useEffect(() => {
    void resumeSession().then(
      (resumed) => setSession(resumed ?? null),
      (error: unknown) => {
        setResumeError(error);
        setSession(null);
      },
    );
  }, []);
  useEffect(() => {
    if (!session) return;
    session.api.onUnauthorized = (error) => {
      signOut();
      setEnded(error);
      setSession(null);
    };
    return () => {
      session.api.onUnauthorized = undefined;
    };
  }, [session]);
  useEffect(() => {
    if (url.pathname === "/") navigate(CONSOLE_ROOT, true);
  }, [url.pathname]);

  if (session === undefined) return <p class="loading">Loading…</p>;
  if (session === null)
    return (
      <SignIn
        ended={ended}
        problem={resumeError}
        onSignedIn={(signedIn) => {
          setEnded(undefined);
          setResumeError(undefined);
          setSession(signedIn);
        }}
      />
    );
  const route = routeOf(url);
  const who = session.principal.kind === "admin" ? "admin" : `bot ${session.principal.bot_id}`;
  return (
    <>
      <header class="top">
        <Link href={CONSOLE_ROOT} class="brand">
          botbox
        </Link>
        <span class="who" title="What this token may reach">
          signed in as {who}
        </span>
        <button
          type="button"
          onClick={() => {
            signOut();
            setSession(null);
          }}
        >
          Sign out
        </button>
      </header>
      <main>
        {route.page === "bots" && <BotsPage session={session} />}
        {route.page === "bot" && <BotPage session={session} botId={route.botId} tab={route.tab} />}
        {route.page === "unknown" && (
          <p>
            No such page. <Link href={CONSOLE_ROOT}>Back to the bots</Link>
          </p>
        )}
      </main>
    </>
  );
}
