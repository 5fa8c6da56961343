import { useState } from "preact/hooks";

import { segment } from "../api/client";
import type { SignedUrl } from "../api/types";
import { ErrorNotice } from "../ui/error-notice";
import { formatTime } from "../ui/format";
import { InPageForm } from "../ui/in-page-form";
import { useAction } from "../ui/use-resource";
import type { TabProps } from "./bot-page";

/**
 * Opens a server the bot runs on a port: the API signs a URL (the token
 * never goes into it) and the browser opens that in a new tab.
 */
export function PortsTab({ session, bot }: TabProps) {
  const [port, setPort] = useState("8000");
  const [opened, setOpened] = useState<SignedUrl>();
  const action = useAction();
  return (
    <div class="stack">
      <InPageForm
        class="toolbar"
        label="Open a port"
        onSubmit={() => {
          // Opened before the request, in the click's own turn: a window opened later is blocked as a pop-up.
          const tab = window.open("about:blank", "_blank");
          void action.run(async () => {
            try {
              const link = await session.api.json<SignedUrl>(
                "POST",
                `/bots/${segment(bot.id)}/ports/${segment(port)}/link`,
                {},
              );
              setOpened(link);
              if (tab) {
                tab.opener = null;
                tab.location.href = link.url;
              }
            } catch (error) {
              tab?.close();
              throw error;
            }
          });
        }}
      >
        <label>
          Port{" "}
          <input
            type="number"
            min={1}
            max={65535}
            required
            value={port}
            onInput={(event) => setPort(event.currentTarget.value)}
          />
        </label>
        <button type="submit" class="primary" disabled={action.busy}>
          Open in a new tab
        </button>
      </InPageForm>
      <ErrorNotice error={action.error} onDismiss={action.clearError} />
      {opened && (
        <p role="status">
          Opened{" "}
          <a href={opened.url} target="_blank" rel="noopener noreferrer">
            {opened.url.split("?")[0]}
          </a>
          ; the link works until {formatTime(opened.expires_at)}.
        </p>
      )}
    </div>
  );
}
