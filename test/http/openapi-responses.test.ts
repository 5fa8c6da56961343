// /openapi.json describes every answer: each operation its success and the
// one error envelope; the document passes a standard validator; a client
// generated from it by openapi-typescript type-checks; and the server's
// response check (BOTBOX_CHECK_RESPONSES) turns an answer that strays from
// its schema into a 500 naming the difference, and lets it through when off.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";

import SwaggerParser from "@apidevtools/swagger-parser";
import Fastify from "fastify";
import openapiTS, { astToString } from "openapi-typescript";
import { z } from "zod";

import { errorSchema, timestamp } from "../../packages/server/src/http/api-schemas.js";
import { addRoute, type AnyRoute } from "../../packages/server/src/http/route.js";
import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";

const run = promisify(execFile);
const TSC = path.resolve("node_modules/typescript/bin/tsc");
const ERROR_REF = "#/components/responses/Error";

interface Operation {
  operationId: string;
  responses: Record<string, { $ref?: string; description?: string; content?: Record<string, { schema?: unknown }> }>;
}
interface OpenApiDocument {
  openapi: string;
  components: { schemas: Record<string, unknown>; responses: Record<string, unknown> };
  paths: Record<string, Record<string, Operation>>;
}

describe("the OpenAPI document", () => {
  let server: BotboxServer;
  let document: OpenApiDocument;
  let scratch: string;
  before(async () => {
    server = await startBotboxServer();
    scratch = await mkdtemp(path.join(tmpdir(), "botbox-openapi-"));
    const answer = await server.api("GET", "/openapi.json");
    assert.equal(answer.status, 200);
    document = answer.body as OpenApiDocument;
  });
  after(async () => {
    await server.stop();
    await rm(server.home, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  });

  const operations = () =>
    Object.entries(document.paths).flatMap(([template, byMethod]) =>
      Object.entries(byMethod).map(([method, operation]) => ({
        name: `${method.toUpperCase()} ${template}`,
        operation,
      })),
    );

  it("gives every operation its success answer and the error envelope for 4xx and 5xx", () => {
    const wrong: string[] = [];
    for (const { name, operation } of operations()) {
      const statuses = Object.keys(operation.responses);
      const success = statuses.filter((status) => /^[123]\d\d$/.test(status));
      // GET and DELETE /bots/{bot_id}/tools exist only to answer MCP clients 405: documented as that, not a success.
      const alwaysRefused = statuses.includes("405") && name.endsWith("/tools");
      if (success.length === 0 && !alwaysRefused) wrong.push(`${name}: no success answer`);
      for (const status of success) {
        const answer = operation.responses[status]!;
        if (answer.description === "success (not yet described)") wrong.push(`${name}: ${status} not described`);
        const json = answer.content?.["application/json"];
        if (json && !json.schema) wrong.push(`${name}: ${status} JSON without a schema`);
      }
      for (const range of ["4XX", "5XX"]) {
        const answer = operation.responses[range];
        // The one envelope by reference; a route with its own error body (JSON-RPC) names it with the envelope.
        const ok =
          answer?.$ref === ERROR_REF || JSON.stringify(answer?.content ?? {}).includes("#/components/schemas/Error");
        if (!ok) wrong.push(`${name}: ${range} is not the error envelope`);
      }
    }
    assert.ok(operations().length >= 60, `only ${operations().length} operations: the document lost routes`);
    assert.deepEqual(wrong, []);
  });

  it("names shared shapes once, as components, and refers to them", () => {
    for (const name of ["Error", "Bot", "Container", "Process", "FileEntry", "Snapshot", "Token", "ExecResult"]) {
      assert.ok(document.components.schemas[name], `components.schemas.${name} is missing`);
    }
    const text = JSON.stringify(document.paths);
    assert.ok(text.includes('"#/components/schemas/Bot"'), "the bot routes do not refer to Bot");
    // The envelope is never spelt out in an operation: its enum of codes lives in components only.
    assert.ok(!text.includes('"bad_request"'), "an operation repeats the error envelope instead of referring to it");
  });

  it("is a valid OpenAPI 3.1 document by @apidevtools/swagger-parser", async () => {
    assert.equal(document.openapi, "3.1.0");
    await SwaggerParser.validate(structuredClone(document) as never);
    // The validator can fail: a response without its required description is refused.
    const broken = structuredClone(document);
    delete broken.paths["/bots"]!.get!.responses["200"]!.description;
    await assert.rejects(SwaggerParser.validate(broken as never));
  });

  it("generates a client's types with openapi-typescript that type-check and carry the answers", async () => {
    const types = astToString(await openapiTS(structuredClone(document) as never));
    await writeFile(path.join(scratch, "api.ts"), types);
    // Uses of the generated types as a client would make them: each fails to compile if an answer were untyped.
    await writeFile(
      path.join(scratch, "use.ts"),
      [
        'import type { components, paths } from "./api.js";',
        'type BotList = paths["/bots"]["get"]["responses"][200]["content"]["application/json"];',
        'export const firstId = (list: BotList): string => list.bots[0]?.id ?? "";',
        'type Exec = paths["/bots/{bot_id}/container/exec"]["post"]["responses"][200]["content"]["application/json"];',
        "export const exitCode = (result: Exec): number => result.exit_code;",
        'export const code = (error: components["schemas"]["Error"]): string => error.error.code;',
        "// @ts-expect-error: a field no answer has",
        "export const wrong = (list: BotList): string => list.robots;",
      ].join("\n"),
    );
    const flags = ["--noEmit", "--strict", "--target", "es2022", "--module", "nodenext", "--skipLibCheck"];
    await run(process.execPath, [TSC, ...flags, path.join(scratch, "use.ts")], { timeout: 60_000 });
  });
});

describe("the response check (BOTBOX_CHECK_RESPONSES)", () => {
  const thing = z.object({ name: z.string(), made_at: timestamp });

  /** A bare app with one route whose handler, cast past the compiler, answers `answer`. */
  async function appAnswering(answer: unknown, status = 200) {
    const app = Fastify({ logger: false });
    const routes: AnyRoute[] = [];
    addRoute(app, routes, {
      method: "GET",
      url: "/thing",
      summary: "a thing",
      response: thing,
      handler: async (_input, _request, reply) =>
        status === 200 ? (answer as z.input<typeof thing>) : reply.status(status).send(answer),
    });
    await app.ready();
    const response = await app.inject({ method: "GET", url: "/thing" });
    await app.close();
    return { status: response.statusCode, body: response.json() as { error?: { code: string; message: string } } };
  }

  async function withChecks<T>(on: boolean, body: () => Promise<T>): Promise<T> {
    const before = process.env.BOTBOX_CHECK_RESPONSES;
    process.env.BOTBOX_CHECK_RESPONSES = on ? "1" : "0";
    try {
      return await body();
    } finally {
      if (before === undefined) delete process.env.BOTBOX_CHECK_RESPONSES;
      else process.env.BOTBOX_CHECK_RESPONSES = before;
    }
  }

  it("passes an answer that matches its schema, a timestamp as its ISO text", async () => {
    const answer = await withChecks(true, () => appAnswering({ name: "a", made_at: new Date(0) }));
    assert.deepEqual(answer, { status: 200, body: { name: "a", made_at: "1970-01-01T00:00:00.000Z" } });
  });

  it("turns a wrong type, a missing field or an undeclared one into a 500 naming it; off, they pass", async () => {
    const cases = [
      { answer: { name: 7, made_at: new Date(0) }, names: "body.name" },
      { answer: { name: "a" }, names: "body.made_at" },
      { answer: { name: "a", made_at: new Date(0), secret: "x" }, names: "body.secret: not declared" },
    ];
    for (const { answer, names } of cases) {
      const checked = await withChecks(true, () => appAnswering(answer));
      assert.equal(checked.status, 500, JSON.stringify(checked.body));
      assert.equal(checked.body.error?.code, "internal");
      assert.match(checked.body.error!.message, /GET \/thing does not match its declared schema/);
      assert.ok(checked.body.error!.message.includes(names), checked.body.error!.message);
      // The same answer with the check off goes out as it is: the check is what caught it.
      assert.equal((await withChecks(false, () => appAnswering(answer))).status, 200);
    }
  });

  it("holds error answers to the one envelope", async () => {
    const envelope = { error: { code: "not_found", message: "no thing" } };
    assert.deepEqual(await withChecks(true, () => appAnswering(envelope, 404)), { status: 404, body: envelope });
    assert.ok(errorSchema.safeParse(envelope).success);
    const stray = await withChecks(true, () => appAnswering({ error: { code: "nope", message: "x" } }, 404));
    assert.equal(stray.status, 500);
    assert.match(stray.body.error!.message, /body\.error\.code/);
  });
});
