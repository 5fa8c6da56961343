import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { maskSecrets } from "./mask-secrets.js";

describe("maskSecrets", () => {
  it("masks tokens and passwords whole, and leaves an unset secret visibly unset", () => {
    assert.equal(maskSecrets("admin_token", "bbx_admin_0123456789abcdef"), "********");
    assert.equal(maskSecrets("password", "hunter2"), "********");
    assert.equal(maskSecrets("admin_token", undefined), undefined);
    assert.equal(maskSecrets("host", "127.0.0.1"), "127.0.0.1");
  });

  it("masks only the password of a URL", () => {
    assert.equal(
      maskSecrets("url", "postgres://botbox:s3cret@db:5432/botbox"),
      "postgres://botbox:********@db:5432/botbox",
    );
    assert.equal(maskSecrets("url", "postgres://botbox@db/botbox"), "postgres://botbox@db/botbox");
  });

  it("masks every value of an env table, whatever the variable's name", () => {
    assert.deepEqual(maskSecrets("server", { name: "fs", env: { OPENAI_API_KEY: "sk-1", DEBUG: "1" } }), {
      name: "fs",
      env: { OPENAI_API_KEY: "********", DEBUG: "********" },
    });
  });
});
