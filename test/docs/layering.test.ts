// The layering rules of eslint.config.js (docs/architecture.md) hold, and
// would catch a break: each rule is shown refusing an import that crosses a
// layer, and letting the allowed one through.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

import { ESLint } from "eslint";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const eslint = new ESLint({ cwd: ROOT });

/** The layering messages ESLint gives `code` as if it were the file `file`. */
async function layeringErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}/${file}` });
  return result!.messages.filter((message) => message.ruleId === "no-restricted-imports").map((m) => m.message);
}

describe("layering", () => {
  it("only client/ imports the generated protocol", async () => {
    const code = 'import { ExecInput } from "@botbox/proto";\nexport const x = ExecInput;\n';
    assert.match((await layeringErrors("packages/server/src/manager/x.ts", code)).join(), /only client\//);
    assert.match((await layeringErrors("packages/server/src/http/routes/x.ts", code)).join(), /only client\//);
    assert.deepEqual(await layeringErrors("packages/server/src/client/x.ts", code), []);
  });

  it("http/ uses the runtime contract, never a backend, and is not built from the CLI", async () => {
    for (const specifier of [
      "../../runtime/docker/index.js",
      "../../runtime/sandbox/index.js",
      "../../runtime/containerd/index.js",
      "../../runtime/backends.js",
      "../../composition/index.js",
    ]) {
      const errors = await layeringErrors(
        "packages/server/src/http/routes/x.ts",
        `export * from "${specifier}";\nimport "${specifier}";\n`,
      );
      assert.ok(errors.length > 0, `${specifier} is let through`);
    }
    const contract = 'import type { NetworkMode } from "../../runtime/runtime.js";\nexport type X = NetworkMode;\n';
    assert.deepEqual(await layeringErrors("packages/server/src/http/routes/x.ts", contract), []);
  });

  it("services know nothing of HTTP, and still leave the protocol to client/", async () => {
    for (const folder of ["workspace", "memory", "media", "skills", "tools", "mcp", "manager", "store", "lib"]) {
      const file = `packages/server/src/${folder}/x.ts`;
      for (const specifier of ["fastify", "@fastify/multipart", "../http/index.js", "../http/files/download.js"]) {
        const errors = await layeringErrors(file, `import "${specifier}";\n`);
        assert.match(errors.join(), /know nothing of HTTP/, `${specifier} is let into ${folder}/`);
      }
      assert.match((await layeringErrors(file, 'import "@botbox/proto";\n')).join(), /only client\//, folder);
      const allowed = 'import type { AgentClient } from "../client/index.js";\nexport type X = AgentClient;\n';
      assert.deepEqual(await layeringErrors(file, allowed), [], folder);
    }
    // The routes are where HTTP belongs.
    assert.deepEqual(await layeringErrors("packages/server/src/http/routes/x.ts", 'import "fastify";\n'), []);
  });

  it("what botbox serve loads at start leaves the MCP SDK, dockerode and pg for later", async () => {
    for (const specifier of ["dockerode", "pg", "@modelcontextprotocol/sdk/server/index.js", "../mcp/index.js"]) {
      const errors = await layeringErrors("packages/server/src/composition/x.ts", `import "${specifier}";\n`);
      assert.ok(errors.length > 0, `${specifier} is let through`);
    }
    assert.deepEqual(
      await layeringErrors("packages/server/src/composition/x.ts", 'import "../mcp/federation.js";\n'),
      [],
    );
  });
});
