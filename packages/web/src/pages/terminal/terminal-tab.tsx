import { useState } from "preact/hooks";

import type { TabProps } from "../bot-page";
import { TerminalView } from "./terminal-view";

let nextKey = 1;

/** Several terminals on the bot, each its own PTY session, switched between like tabs; all stay connected. */
export function TerminalTab({ session, bot }: TabProps) {
  const [terminals, setTerminals] = useState<number[]>(() => [nextKey++]);
  const [active, setActive] = useState(terminals[0]!);
  const add = () => {
    const key = nextKey++;
    setTerminals([...terminals, key]);
    setActive(key);
  };
  const close = (key: number) => {
    const rest = terminals.filter((other) => other !== key);
    setTerminals(rest);
    if (active === key && rest.length > 0) setActive(rest[rest.length - 1]!);
  };
  return (
    <div class="stack">
      <div class="toolbar" role="tablist" aria-label="Terminals">
        {terminals.map((key, index) => (
          <span key={key} class="inline">
            <button
              type="button"
              role="tab"
              aria-selected={key === active}
              class={key === active ? "primary" : undefined}
              onClick={() => setActive(key)}
            >
              Terminal {index + 1}
            </button>
            <button type="button" aria-label={`Close terminal ${index + 1}`} onClick={() => close(key)}>
              ×
            </button>
          </span>
        ))}
        <button type="button" onClick={add}>
          New terminal
        </button>
      </div>
      {terminals.length === 0 && <p>No terminal open. The sessions closed here go on in the bot until they exit.</p>}
      {terminals.map((key) => (
        <TerminalView key={key} api={session.api} botId={bot.id} visible={key === active} />
      ))}
    </div>
  );
}
