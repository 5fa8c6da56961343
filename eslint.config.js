import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import nodePlugin from "eslint-plugin-n";
import simpleImportSort from "eslint-plugin-simple-import-sort";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/dist/**", "**/src/gen/**", ".bench-tmp/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.{ts,tsx,mts,js,mjs}"],
    plugins: { n: nodePlugin, "simple-import-sort": simpleImportSort },
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "module",
      globals: {
        process: "readonly",
        console: "readonly",
        Buffer: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        URL: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
      "n/prefer-node-protocol": "error",
      "simple-import-sort/imports": "error",
      "simple-import-sort/exports": "error",
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  // Layering (docs/architecture.md): who may import what. A break is a lint error naming the rule.
  {
    files: ["packages/server/src/**/*.ts"],
    ignores: ["packages/server/src/client/**", "**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@botbox/proto", "@botbox/proto/*"],
              message: "only client/ speaks the agent's protocol: use AgentClient and botbox's errors",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["packages/server/src/http/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [{ name: "dockerode", message: "http/ never talks to a backend: it calls services" }],
          patterns: [
            {
              group: ["@botbox/proto", "@botbox/proto/*"],
              message: "only client/ speaks the agent's protocol: use AgentClient and botbox's errors",
            },
            {
              group: [
                "**/runtime/sandbox/**",
                "**/runtime/docker/**",
                "**/runtime/containerd/**",
                "**/runtime/backends.js",
              ],
              message: "http/ never uses a backend: the runtime contract (runtime/runtime.ts) and services only",
            },
            {
              group: ["**/composition/**", "**/cli/**"],
              message: "http/ is built by the composition root, not the other way",
            },
          ],
        },
      ],
    },
  },
  {
    // Services (docs/architecture.md) know nothing of HTTP: routes receive them from the composition root.
    files: ["packages/server/src/{workspace,memory,media,skills,tools,mcp,manager,store,lib}/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            {
              name: "fastify",
              message: "services know nothing of HTTP: the routes in http/ shape requests and replies",
            },
          ],
          patterns: [
            {
              group: ["@fastify/*", "**/http/**"],
              message: "services know nothing of HTTP: the routes in http/ shape requests and replies",
            },
            {
              group: ["@botbox/proto", "@botbox/proto/*"],
              message: "only client/ speaks the agent's protocol: use AgentClient and botbox's errors",
            },
          ],
        },
      ],
    },
  },
  {
    // What every `botbox serve` loads before its first request: the MCP SDK, dockerode and pg only when used.
    files: [
      "packages/server/src/cli/serve.ts",
      "packages/server/src/composition/**/*.ts",
      "packages/server/src/cli/main.ts",
    ],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            { name: "dockerode", message: "load it in the docker backend's create only" },
            { name: "pg", message: "load it only when [database] url is set" },
          ],
          patterns: [
            {
              group: ["@modelcontextprotocol/sdk", "@modelcontextprotocol/sdk/*", "**/mcp/index.js"],
              message: "the MCP SDK loads with the first MCP request, not at start",
            },
            {
              group: ["@botbox/proto", "@botbox/proto/*"],
              message: "only client/ speaks the agent's protocol: use AgentClient and botbox's errors",
            },
          ],
        },
      ],
    },
  },
  prettier,
);
