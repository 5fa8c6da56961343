import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { BadRequestError } from "../errors.js";
import { parseSkill } from "./parse-skill.js";
import { checkSkillName } from "./skill-name.js";

describe("parseSkill", () => {
  it("reads name, description and metadata from the frontmatter; the body is the content", () => {
    const raw =
      "---\nname: deploy\ndescription: Ship it\nmetadata:\n  tags: [ops, ci]\n  level: 2\n---\n\n# Deploy\nRun it.\n";
    const { skill, problem } = parseSkill(raw, "folder");
    assert.equal(problem, undefined);
    assert.deepEqual(skill, {
      name: "deploy",
      description: "Ship it",
      content: "# Deploy\nRun it.",
      metadata: { tags: ["ops", "ci"], level: 2 },
      raw,
    });
  });

  it("without frontmatter the name is the fallback and the whole text is the content", () => {
    const { skill, problem } = parseSkill("  Just do the thing.\n", "helper");
    assert.equal(problem, undefined);
    assert.deepEqual(skill, {
      name: "helper",
      description: "helper",
      content: "Just do the thing.",
      raw: "  Just do the thing.\n",
    });
  });

  it("defaults: name to 'default', description to the name, content to the description", () => {
    assert.deepEqual(parseSkill("---\n---\n", "").skill, {
      name: "default",
      description: "default",
      content: "default",
      raw: "---\n---\n",
    });
    const onlyDescription = parseSkill("---\ndescription: Says hi\n---\n", "greeter").skill;
    assert.deepEqual([onlyDescription.name, onlyDescription.content], ["greeter", "Says hi"]);
  });

  it("invalid YAML falls back to the fallback name with the body as content, and says why", () => {
    const { skill, problem } = parseSkill("---\nname: [unclosed\n---\nBody text", "broken");
    assert.deepEqual([skill.name, skill.content], ["broken", "Body text"]);
    assert.match(problem ?? "", /^invalid frontmatter YAML/);
  });

  it("frontmatter that is not a mapping, or with a non-text name or non-map metadata, falls back too", () => {
    assert.match(parseSkill("---\n- a\n- b\n---\nx", "f").problem ?? "", /not a YAML mapping/);
    assert.match(parseSkill("---\nname: {a: 1}\n---\nx", "f").problem ?? "", /name must be a string/);
    assert.match(parseSkill("---\nmetadata: 3\n---\nx", "f").problem ?? "", /metadata must be a mapping/);
  });

  it("takes scalar names as text, trims every field, and handles CRLF", () => {
    const { skill } = parseSkill("---\r\nname: 42\r\ndescription: '  padded  '\r\n---\r\n\r\n  body  \r\n", "f");
    assert.deepEqual([skill.name, skill.description, skill.content], ["42", "padded", "body"]);
  });

  it("an unclosed frontmatter is not frontmatter", () => {
    const { skill } = parseSkill("---\nname: x\nno end", "fallback");
    assert.deepEqual([skill.name, skill.content], ["fallback", "---\nname: x\nno end"]);
  });
});

describe("checkSkillName", () => {
  it("accepts ordinary names", () => {
    for (const name of ["deploy", "web-search_2", "Résumé writer", "a.b"]) assert.equal(checkSkillName(name), name);
  });

  it("refuses empty, traversal, separators, NUL, control characters, a leading dot and long names", () => {
    for (const name of [
      "",
      "..",
      "../etc",
      "a/b",
      "a\\b",
      "a\0b",
      "a\nb",
      "a\tb",
      ".hidden",
      ".",
      " x",
      "x".repeat(129),
    ]) {
      assert.throws(() => checkSkillName(name), BadRequestError, JSON.stringify(name));
    }
  });
});
