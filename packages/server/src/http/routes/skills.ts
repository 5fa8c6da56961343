import type { FastifyInstance } from "fastify";
import { z } from "zod";

import { reachWorkspace } from "../../errors.js";
import type { BotManager } from "../../manager/index.js";
import { checkSkillNames, deleteSkills, loadSkills, prepareSkillUpserts, upsertSkills } from "../../skills/index.js";
import { okSchema } from "../api-schemas.js";
import { botParams } from "../params.js";
import { addRoute, type AnyRoute } from "../route.js";

const MAX_SKILLS_PER_REQUEST = 100;

/** Skills, /bots/:bot_id/container/skills: /data/.skills/<name>/SKILL.md (docs/reference.md#skills-layout). */
export function skillRoutes(app: FastifyInstance, routes: AnyRoute[], manager: BotManager): void {
  const agentFor = (botId: string) => reachWorkspace(botId, (id) => manager.agentFor(id));

  addRoute(app, routes, {
    method: "GET",
    url: "/bots/:bot_id/container/skills",
    summary:
      "The bot's skills from /data/.skills/<name>/SKILL.md; `errors` lists the files that could not be read or parsed, and those left unread once 4 MiB of SKILL.md text is taken (then `truncated` is true)",
    params: botParams,
    response: z
      .object({
        skills: z.array(
          z
            .object({
              name: z.string(),
              description: z.string(),
              content: z.string(),
              metadata: z.record(z.string(), z.unknown()).optional(),
              /** The SKILL.md text as stored. */
              raw: z.string(),
            })
            .meta({ id: "Skill" }),
        ),
        errors: z.array(z.object({ path: z.string(), message: z.string() })),
        truncated: z.literal(true).optional(),
      })
      .meta({ id: "SkillList" }),
    handler: async ({ params }, request) => loadSkills(await agentFor(params.bot_id), { logger: request.log }),
  });

  addRoute(app, routes, {
    method: "POST",
    url: "/bots/:bot_id/container/skills",
    summary: "Create or replace skills, each a raw SKILL.md named by its frontmatter (413 past 1 MiB each)",
    params: botParams,
    body: z.object({ skills: z.array(z.string()).min(1, "must not be empty").max(MAX_SKILLS_PER_REQUEST) }).strict(),
    response: z.object({ ok: z.boolean(), names: z.array(z.string()) }).meta({ id: "SkillsWritten" }),
    handler: async ({ params, body }) => {
      // Checked before the workspace is reached: a bad request is a 400 even when it is down.
      const planned = prepareSkillUpserts(body.skills);
      return { ok: true, names: await upsertSkills(await agentFor(params.bot_id), planned) };
    },
  });

  addRoute(app, routes, {
    method: "DELETE",
    url: "/bots/:bot_id/container/skills",
    summary: "Delete skills by name",
    params: botParams,
    body: z.object({ names: z.array(z.string()).min(1, "must not be empty").max(MAX_SKILLS_PER_REQUEST) }).strict(),
    response: okSchema,
    handler: async ({ params, body }) => {
      checkSkillNames(body.names);
      await deleteSkills(await agentFor(params.bot_id), body.names);
      return { ok: true };
    },
  });
}
