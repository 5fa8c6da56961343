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
      <h2>Skills</h2>
      <ErrorNotice error={skills.error} />
      <ul aria-label="Skills" class="cards">
        {skills.data?.skills.map((skill) => (
          <li key={skill.name}>
            <strong>{skill.name}</strong>
            <div class="muted">{skill.description}</div>
          </li>
        ))}
        {skills.data?.skills.length === 0 && <li>No skills in /data/.skills.</li>}
      </ul>
      {skills.data?.errors.map((problem) => (
        <p key={problem.path} class="error">
          {problem.path}: {problem.message}
        </p>
      ))}
      <h2>Memory</h2>
      <ErrorNotice error={memories.error} />
      <ul aria-label="Memories" class="cards">
        {memories.data?.results.map((memory) => (
          <li key={memory.id}>
            <div>{memory.memory}</div>
            <div class="muted">
              {memory.id} · {formatTime(memory.updated_at ?? memory.created_at)}
            </div>
          </li>
        ))}
        {memories.data?.results.length === 0 && <li>No memories.</li>}
      </ul>
    </div>
  );
}
