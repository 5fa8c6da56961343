import { useState } from "preact/hooks";

import type { ApiClient } from "../api/client";
import { ErrorNotice } from "../ui/error-notice";
import { InPageForm } from "../ui/in-page-form";
import { useAction } from "../ui/use-resource";
import { LIMIT_MINIMUMS, MAX_CPUS, newBotBody } from "./new-bot-body";

/** Registers a bot (admin); the server says what is wrong with a field, and the form shows it. */
export function CreateBotForm(props: { api: ApiClient; onCreated: () => void }) {
  const action = useAction();
  const [network, setNetwork] = useState("");
  return (
    <InPageForm
      class="panel grid-form"
      label="New bot"
      onSubmit={(fields) => {
        void action.run(async () => {
          await props.api.json("POST", "/bots", newBotBody(fields));
          props.onCreated();
        });
      }}
    >
      <label>
        Name <input name="name" required maxLength={200} />
      </label>
      <label>
        Id (optional) <input name="id" placeholder="from the name" />
      </label>
      <label>
        Network
        <select name="network" value={network} onChange={(event) => setNetwork(event.currentTarget.value)}>
          <option value="">server default</option>
          <option value="isolated">isolated: the internet only</option>
          <option value="none">none: loopback only</option>
          <option value="host">host: the host&apos;s network</option>
        </select>
      </label>
      <label>
        Isolation
        <select name="isolation">
          <option value="">server default</option>
          <option value="namespaces">namespaces</option>
          <option value="gvisor">gvisor</option>
        </select>
      </label>
      {network === "isolated" && (
        <>
          <label>
            Egress allow (one per line; empty: the internet; &quot;none&quot;: nothing)
            <textarea name="egress_allow" rows={2} />
          </label>
          <label>
            Egress deny (one per line)
            <textarea name="egress_deny" rows={2} />
          </label>
        </>
      )}
      <label>
        Memory (MiB) <input name="memory_mib" type="number" min={LIMIT_MINIMUMS.memoryMib} />
      </label>
      <label>
        CPUs <input name="cpus" type="number" min={LIMIT_MINIMUMS.cpus} max={MAX_CPUS} step={0.01} />
      </label>
      <label>
        Processes (pids) <input name="pids" type="number" min={LIMIT_MINIMUMS.pids} />
      </label>
      <label>
        Disk (MiB) <input name="disk_mib" type="number" min={LIMIT_MINIMUMS.diskMib} />
      </label>
      <label class="check">
        <input name="auto_start" type="checkbox" /> Start with the server
      </label>
      <ErrorNotice error={action.error} />
      <div class="actions">
        <button type="submit" class="primary" disabled={action.busy}>
          Create bot
        </button>
      </div>
    </InPageForm>
  );
}
