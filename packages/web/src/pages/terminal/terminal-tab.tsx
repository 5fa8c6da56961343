import { useRef, useState } from "preact/hooks";

import type { TabProps } from "../bot-page";
import { TerminalView } from "./terminal-view";

let nextKey = 1;

/** Several terminals on the bot, each its own PTY session, switched between like tabs; all stay connected. */
export function TerminalTab({ session, bot }: TabProps) {
  const [terminals, setTerminals] = useState<number[]>(() => [nextKey++]);
  const [active, setActive] = useState(terminals[0]!);
  /** Clicks ask the shown terminal for the keyboard; arrow keys leave it on the tabs. */
  const [focusRequest, setFocusRequest] = useState(0);
  const byKeyboard = useRef(false);
  const pick = (key: number) => {
    byKeyboard.current = false;
    setActive(key);
    setFocusRequest((count) => count + 1);
  };
  const add = () => {
    const key = nextKey++;
    setTerminals([...terminals, key]);
    pick(key);
  };
  // The tabs pattern of WAI-ARIA: only the selected tab is in the Tab order;
  // the arrow keys, Home and End move to another tab and select it.
  const onTabKey = (event: KeyboardEvent, index: number) => {
    const count = terminals.length;
    const targets: Record<string, number> = {
      ArrowRight: (index + 1) % count,
      ArrowLeft: (index + count - 1) % count,
      Home: 0,
      End: count - 1,
    };
    const to = targets[event.key];
    if (to === undefined) return;
    event.preventDefault();
    byKeyboard.current = true;
    setActive(terminals[to]!);
    const tabs = (event.currentTarget as HTMLElement).closest('[role="tablist"]')?.querySelectorAll('[role="tab"]');
    (tabs?.[to] as HTMLElement | undefined)?.focus();
  };
  const close = (key: number) => {
    const rest = terminals.filter((other) => other !== key);
    setTerminals(rest);
    if (active === key && rest.length > 0) pick(rest[rest.length - 1]!);
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
              tabIndex={key === active ? 0 : -1}
              class={key === active ? "primary" : undefined}
              onClick={() => pick(key)}
              onKeyDown={(event) => onTabKey(event, index)}
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
        <TerminalView
          key={key}
          api={session.api}
          botId={bot.id}
          visible={key === active}
          focusWhenShown={!byKeyboard.current}
          focusRequest={focusRequest}
        />
      ))}
    </div>
  );
}
