import { useEffect, useState } from "preact/hooks";

/** The console's own pages live under /console; the server answers index.html for each. */
export const CONSOLE_ROOT = "/console";

export const botPath = (botId: string, tab = "") =>
  `${CONSOLE_ROOT}/bots/${encodeURIComponent(botId)}${tab ? `/${tab}` : ""}`;

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  dispatchEvent(new PopStateEvent("popstate"));
}

/** The current location, updated on navigation (links, back and forward). */
export function useLocation(): URL {
  const [url, setUrl] = useState(() => new URL(location.href));
  useEffect(() => {
    const update = () => setUrl(new URL(location.href));
    addEventListener("popstate", update);
    return () => removeEventListener("popstate", update);
  }, []);
  return url;
}

/** A console page and its parameters, from the path. */
export type Route = { page: "bots" } | { page: "bot"; botId: string; tab: string } | { page: "unknown" };

export function routeOf(url: URL): Route {
  const path = url.pathname.replace(/\/+$/, "");
  if (path === "" || path === CONSOLE_ROOT) return { page: "bots" };
  const bot = /^\/console\/bots\/([^/]+)(?:\/([a-z-]+))?$/.exec(path);
  if (bot) return { page: "bot", botId: decodeURIComponent(bot[1]!), tab: bot[2] ?? "overview" };
  return { page: "unknown" };
}
