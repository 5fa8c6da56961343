import { useState } from "preact/hooks";

import type { ApiClient } from "../api/client";
import { ErrorNotice } from "../ui/error-notice";
import { useAction } from "../ui/use-resource";

const MIB = 2 ** 20;

const lines = (text: string) =>
  text
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter(Boolean);

/** The body of POST /bots from the form; empty fields are left to the server's defaults. */
function newBotBody(form: FormData): Record<string, unknown> {
  const text = (name: string) => String(form.get(name) ?? "").trim();
  const number = (name: string, scale = 1) => (text(name) === "" ? undefined : Number(text(name)) * scale);
  const network = text("network");
  const limits = Object.fromEntries(
    Object.entries({
      memory_bytes: number("memory_mib", MIB),
      cpus: number("cpus"),
      pids: number("pids"),
      disk_bytes: number("disk_mib", MIB),
    }).filter(([, value]) => value !== undefined),
  );
  const allow = text("egress_allow");
  const deny = lines(text("egress_deny"));
  const egress =
    network === "isolated" && (allow !== "" || deny.length > 0)
      ? { ...(allow === "" ? {} : { allow: allow === "none" ? [] : lines(allow) }), ...(deny.length ? { deny } : {}) }
      : undefined;
  return {
    name: text("name"),
    ...(text("id") ? { id: text("id") } : {}),
    ...(network ? { network } : {}),
    ...(text("isolation") ? { isolation: text("isolation") } : {}),
    ...(egress ? { egress } : {}),
    ...(Object.keys(limits).length ? { limits } : {}),
    auto_start: form.get("auto_start") === "on",
  };
}

/** Registers a bot (admin); the server says what is wrong with a field, and the form shows it. */
export function CreateBotForm(props: { api: ApiClient; onCreated: () => void }) {
  const action = useAction();
  const [network, setNetwork] = useState("");
  return (
    <form
      class="panel grid-form"
      aria-label="New bot"
      onSubmit={(event) => {
        event.preventDefault();
        const body = newBotBody(new FormData(event.currentTarget));
        void action.run(async () => {
          await props.api.json("POST", "/bots", body);
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
        Memory (MiB) <input name="memory_mib" type="number" min={16} />
      </label>
      <label>
        CPUs <input name="cpus" type="number" min={0.01} step={0.01} />
      </label>
      <label>
        Processes (pids) <input name="pids" type="number" min={8} />
      </label>
      <label>
        Disk (MiB) <input name="disk_mib" type="number" min={64} />
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
    </form>
  );
}
