/** The output mask (cli/output.ts): known tokens and token-shaped strings, nothing else. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { maskSecrets } from "../../src/cli/output.js";

describe("maskSecrets", () => {
  it("masks the exact tokens in use, even where they do not look like real ones", () => {
    const mine = "hf_fixture_alice_0000000000000000000000";
    assert.equal(
      maskSecrets(`models/echo-${mine}-config.json and ${mine}`, [mine]),
      "models/echo-hf_***-config.json and hf_***",
    );
  });

  it("masks anything shaped like a real access token, known or not", () => {
    const other = `hf_${"aB3".repeat(11)}z`;
    assert.equal(maskSecrets(`"path": "${other}.bin"`, []), `"path": "hf_***.bin"`);
    assert.equal(maskSecrets(`Bearer ${other}`, []), "Bearer hf_***");
  });

  it("leaves ordinary names that merely start with hf_ alone", () => {
    for (const name of ["hf_model.bin", "src/hf_utils.py", "hf_argparser", "shf_x"]) {
      assert.equal(maskSecrets(name, []), name);
    }
  });
});
