import type { ComponentChildren, VNode } from "preact";

import { segment } from "../api/client";
import type { Memory, Skill } from "../api/types";
import { ErrorNotice } from "../ui/error-notice";
import { formatTime } from "../ui/format";
import { useResource } from "../ui/use-resource";
import type { TabProps } from "./bot-page";

/** The bot's skills (/data/.skills) and its memories, most recent first. */
export function KnowledgeTab({ session, bot }: TabProps) {
  const { api } = session;
  const base = `/bots/${segment(bot.id)}`;
  const skills = useResource(
    () => api.json<{ skills: Skill[]; errors: { path: string; message: string }[] }>("GET", `${base}/container/skills`),
    [api, bot.id],
  );
  const memories = useResource(() => api.json<{ results: Memory[] }>("GET", `${base}/memory?limit=100`), [api, bot.id]);
  return (
    <div class="stack">
      <CardList
        title="Skills"
        error={skills.error}
        items={skills.data?.skills}
        card={(skill) => (
          <li key={skill.name}>
            <strong>{skill.name}</strong>
            <div class="muted">{skill.description}</div>
          </li>
        )}
        empty="No skills in /data/.skills."
      />
      {skills.data?.errors.map((problem) => (
        <p key={problem.path} class="error">
          {problem.path}: {problem.message}
        </p>
      ))}
      <CardList
        title="Memory"
        label="Memories"
        error={memories.error}
        items={memories.data?.results}
        card={(memory) => (
          <li key={memory.id}>
            <div>{memory.memory}</div>
            <div class="muted">
              {memory.id} · {formatTime(memory.updated_at ?? memory.created_at)}
            </div>
          </li>
        )}
        empty="No memories."
      />
    </div>
  );
}

/** A titled list of cards, its loading error, and a line saying there are none. */
function CardList<T>(props: {
  title: string;
  /** The list's accessible name, when not its title. */
  label?: string;
  error: unknown;
  items: T[] | undefined;
  card: (item: T) => VNode;
  empty: ComponentChildren;
}) {
  return (
    <>
      <h2>{props.title}</h2>
      <ErrorNotice error={props.error} />
      <ul aria-label={props.label ?? props.title} class="cards">
        {props.items?.map(props.card)}
        {props.items?.length === 0 && <li>{props.empty}</li>}
      </ul>
    </>
  );
}
