import { ApiError } from "./api/api-error";
import { ApiClient } from "./api/client";
import type { Principal } from "./api/types";

// sessionStorage, not localStorage: the token lives as long as the tab and
// is gone when it closes; never in a cookie, so no other site's page can
// make the browser send it (no CSRF), and never in a URL.
const KEY = "botbox.token";

export interface Session {
  api: ApiClient;
  principal: Principal;
}

/** Checks `token` with the API (GET /whoami); a session, or the API's error. */
export async function signIn(token: string): Promise<Session> {
  const api = new ApiClient(token.trim());
  const principal = await api.json<Principal>("GET", "/whoami");
  sessionStorage.setItem(KEY, api.token);
  return { api, principal };
}

/**
 * The session this tab signed in with, if its token still works; the token
 * is forgotten once the API refuses it (401). Any other failure (the server
 * is down, say) is thrown and the token kept, so a reload once the server is
 * back resumes the session.
 */
export async function resumeSession(): Promise<Session | undefined> {
  const token = sessionStorage.getItem(KEY);
  if (!token) return undefined;
  try {
    return await signIn(token);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) throw error;
    sessionStorage.removeItem(KEY);
    return undefined;
  }
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}
