import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { InputError } from "../../src/core/errors.js";
import {
  evaluateOrgPolicy,
  type OrgAllowlist,
  parseOrgAllowlist,
  policyFindings,
} from "../../src/core/org-policy.js";
import {
  EMPTY_PROJECT_POLICY,
  type ProjectPolicy,
  parseProjectPolicy,
} from "../../src/core/project-policy.js";

const defaults: OrgAllowlist = {
  organizations: [
    { name: "google", reason: "Google's official models" },
    { name: "Qwen", reason: "Qwen team" },
  ],
};

function project(
  p: Partial<{ add: string[]; remove: string[]; allow: string[]; deny: string[] }>,
): ProjectPolicy {
  const org = (names: string[] = []) => names.map((name) => ({ name, reason: `why ${name}` }));
  const repo = (ids: string[] = []) => ids.map((r) => ({ repo: r, reason: `why ${r}` }));
  return {
    organizations: { add: org(p.add), remove: org(p.remove) },
    repos: { allow: repo(p.allow), deny: repo(p.deny) },
  };
}

describe("evaluateOrgPolicy precedence", () => {
  it("allows a default organization, case-insensitively, naming the rule", () => {
    const d = evaluateOrgPolicy("qwen/Qwen2.5-0.5B", defaults, EMPTY_PROJECT_POLICY);
    assert.deepEqual(d, { allowed: true, rule: "default:org Qwen", reason: "Qwen team" });
  });

  it("denies an organization nobody listed, saying how to allow it", () => {
    const d = evaluateOrgPolicy("sketchy/x", defaults, EMPTY_PROJECT_POLICY);
    assert.equal(d.allowed, false);
    assert.equal(d.rule, "default:not listed");
    assert.match(d.reason, /policy\.organizations\.add/);
  });

  it("org addition beats defaults (allows a new org)", () => {
    const d = evaluateOrgPolicy("acme/x", defaults, project({ add: ["acme"] }));
    assert.deepEqual(d, { allowed: true, rule: "project:add org acme", reason: "why acme" });
  });

  it("org removal beats defaults and org addition", () => {
    assert.equal(
      evaluateOrgPolicy("google/x", defaults, project({ remove: ["google"] })).rule,
      "project:remove org google",
    );
    const both = evaluateOrgPolicy(
      "acme/x",
      defaults,
      project({ add: ["acme"], remove: ["acme"] }),
    );
    assert.equal(both.allowed, false);
    assert.equal(both.rule, "project:remove org acme");
  });

  it("repo allow beats org removal and not-listed", () => {
    assert.equal(
      evaluateOrgPolicy(
        "google/gemma",
        defaults,
        project({ remove: ["google"], allow: ["google/gemma"] }),
      ).rule,
      "project:allow repo google/gemma",
    );
    assert.equal(
      evaluateOrgPolicy("sketchy/x", defaults, project({ allow: ["Sketchy/X"] })).allowed,
      true,
    );
  });

  it("repo deny beats everything, including a repo allow for the same repo", () => {
    const d = evaluateOrgPolicy(
      "google/gemma",
      defaults,
      project({ add: ["google"], allow: ["google/gemma"], deny: ["google/gemma"] }),
    );
    assert.deepEqual(d, {
      allowed: false,
      rule: "project:deny repo google/gemma",
      reason: "why google/gemma",
    });
  });

  it("turns a denial into one blocking POLICY_DENIED finding and an allow into none", () => {
    const denied = evaluateOrgPolicy("sketchy/x", defaults, EMPTY_PROJECT_POLICY);
    const findings = policyFindings("sketchy/x", denied);
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.code, "POLICY_DENIED");
    assert.notEqual(findings[0]!.verdict, "clean");
    assert.deepEqual(
      policyFindings("google/x", evaluateOrgPolicy("google/x", defaults, EMPTY_PROJECT_POLICY)),
      [],
    );
  });
});

describe("parseOrgAllowlist", () => {
  it("accepts the shipped allowlist, every entry with a reason", () => {
    const json = JSON.parse(
      readFileSync(new URL("../../allowlist/organizations.json", import.meta.url), "utf8"),
    );
    const list = parseOrgAllowlist(json, "organizations.json");
    for (const org of [
      "meta-llama",
      "mistralai",
      "google",
      "google-bert",
      "microsoft",
      "openai",
      "Qwen",
      "deepseek-ai",
      "BAAI",
      "nvidia",
    ]) {
      assert.ok(
        list.organizations.some((o) => o.name === org),
        org,
      );
    }
    assert.ok(list.organizations.every((o) => o.reason.length > 10));
  });

  const bad: Array<[string, unknown, RegExp]> = [
    [
      "missing reason",
      { version: 1, organizations: [{ name: "a" }] },
      /organizations\[0\]\.reason/,
    ],
    ["empty reason", { version: 1, organizations: [{ name: "a", reason: " " }] }, /reason/],
    [
      "bad name",
      { version: 1, organizations: [{ name: "a/b", reason: "x" }] },
      /organizations\[0\]\.name/,
    ],
    [
      "duplicate",
      {
        version: 1,
        organizations: [
          { name: "a", reason: "x" },
          { name: "A", reason: "y" },
        ],
      },
      /listed twice/,
    ],
    ["unknown version", { version: 2, organizations: [] }, /version/],
    ["unknown key", { version: 1, organizations: [], extra: 1 }, /extra|unrecognized/i],
  ];
  for (const [name, json, message] of bad) {
    it(`rejects ${name}, naming the file and field`, () => {
      assert.throws(
        () => parseOrgAllowlist(json, "orgs.json"),
        (e: unknown) =>
          e instanceof InputError &&
          e.code === "POLICY_FILE_INVALID" &&
          e.message.startsWith("orgs.json: ") &&
          message.test(e.message),
      );
    });
  }
});

describe("parseProjectPolicy", () => {
  it("treats a missing policy section as no overrides and ignores other sections", () => {
    assert.deepEqual(
      parseProjectPolicy({ models: { "a/b": "main" } }, "modelvet.json"),
      EMPTY_PROJECT_POLICY,
    );
  });

  it("fills defaults for omitted lists", () => {
    const p = parseProjectPolicy(
      { policy: { organizations: { add: [{ name: "acme", reason: "ours" }] } } },
      "m.json",
    );
    assert.deepEqual(p.organizations.remove, []);
    assert.deepEqual(p.repos, { allow: [], deny: [] });
  });

  const bad: Array<[string, unknown, RegExp]> = [
    [
      "reason missing",
      { policy: { repos: { deny: [{ repo: "a/b" }] } } },
      /policy\.repos\.deny\[0\]\.reason: a reason is required/,
    ],
    [
      "reason blank",
      { policy: { organizations: { add: [{ name: "a", reason: "  " }] } } },
      /policy\.organizations\.add\[0\]\.reason/,
    ],
    [
      "repo not org/name",
      { policy: { repos: { allow: [{ repo: "ab", reason: "x" }] } } },
      /policy\.repos\.allow\[0\]\.repo: must be an org\/name/,
    ],
    ["typo in a key", { policy: { organisations: {} } }, /policy/],
    ["not an object", [], /top level/],
  ];
  for (const [name, json, message] of bad) {
    it(`rejects ${name} with CONFIG_INVALID naming file and field`, () => {
      assert.throws(
        () => parseProjectPolicy(json, "/tmp/modelvet.json"),
        (e: unknown) =>
          e instanceof InputError &&
          e.code === "CONFIG_INVALID" &&
          e.message.startsWith("/tmp/modelvet.json: ") &&
          message.test(e.message),
      );
    });
  }
});
