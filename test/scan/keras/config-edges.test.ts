/**
 * Keras configs in the less common shapes Keras still deserializes: `fn_module` with `function`
 * instead of `fn`, a `__typespec__` without spec_name, a `function` object whose config is not a
 * name, a Lambda whose config is not an object or whose function is a class reference, a bare
 * `__lambda__` (Keras 3 serialization_lib) with or without code, and lambda bytecode behind a .pyc
 * header. Each must still name what Keras would import or run; a Lambda is always malicious.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Finding } from "../../../src/core/finding.js";
import { readKerasPolicy } from "../../../src/io/policy-keras.js";
import { scanKerasConfig, walkKerasConfig } from "../../../src/scan/keras/index.js";

const policy = readKerasPolicy();

/** base64(marshal) of `lambda x: __import__('os').system('echo modelvet-fixture') or x`, CPython 3.11. */
const EVIL =
  "4wEAAAAAAAAAAAAAAAMAAAADAAAA80oAAACXAHQBAAAAAAAAAAAAAGQBpgEAAKsBAAAAAAAAAACg\nAQAAAAAAAAAAAAAAAAAAAAAAAAAAZAKmAQAAqwEAAAAAAAAAAHABfABTACkDTtoCb3N6FWVjaG8g\nbW9kZWx2ZXQtZml4dHVyZSkC2gpfX2ltcG9ydF9f2gZzeXN0ZW0pAdoBeHMBAAAAIPoSPG1vZGVs\ndmV0LWZpeHR1cmU++gg8bGFtYmRhPnIHAAAAAQAAAHMiAAAAgACNKpBU0Qoa1Aoa1woh0goh0CI5\n0Qo61Ao60Ao/uGGAAPMAAAAA\n";

const seq = (layers: unknown[]) => ({ class_name: "Sequential", config: { name: "s", layers } });
const scan = (config: unknown): Finding[] => scanKerasConfig(config, policy, "config.json");
const malicious = (fs: Finding[], code: string, text: string): Finding => {
  const f = fs.find(
    (x) => x.code === code && x.verdict === "malicious" && x.message.includes(text),
  );
  assert.ok(f, JSON.stringify(fs.map((x) => [x.code, x.verdict, x.message])));
  return f;
};

describe("Keras config: references in less common shapes", () => {
  test("fn_module + function (not fn) names os.system", () => {
    malicious(
      scan(seq([{ fn_module: "os", function: "system" }])),
      "KERAS_UNKNOWN_MODULE",
      "function os.system",
    );
  });

  test("a __typespec__ without spec_name still imports its module (subprocess)", () => {
    malicious(
      scan(seq([{ class_name: "__typespec__", module: "subprocess" }])),
      "KERAS_UNKNOWN_MODULE",
      "class subprocess.",
    );
  });

  test("a 'function' object whose config is not a name still imports its module (os)", () => {
    malicious(
      scan(seq([{ class_name: "function", module: "os", config: { name: "system" } }])),
      "KERAS_UNKNOWN_MODULE",
      "function os.",
    );
  });
});

describe("Keras config: Lambda layers and serialized lambdas", () => {
  test("a Lambda whose config is not an object is malicious, named from the node", () => {
    malicious(
      scan(seq([{ class_name: "Lambda", name: "odd", config: "x" }])),
      "KERAS_LAMBDA",
      "Lambda layer 'odd' runs arbitrary Python",
    );
  });

  test("a Lambda whose function is a class reference is malicious and says what it references", () => {
    const fs = scan(
      seq([
        {
          class_name: "Lambda",
          config: { name: "ref", function: { class_name: "Evil", module: "evil.mod" } },
        },
      ]),
    );
    const f = malicious(fs, "KERAS_LAMBDA", "Lambda layer 'ref'");
    assert.deepEqual((f.evidence as Record<string, unknown>).function, {
      kind: "reference",
      class_name: "Evil",
      module: "evil.mod",
    });
  });

  test("a bare __lambda__ with no code is malicious (its code cannot be described)", () => {
    const f = malicious(
      scan(
        seq([
          { class_name: "Dense", config: { activation: { class_name: "__lambda__", config: {} } } },
        ]),
      ),
      "KERAS_LAMBDA",
      "a serialized Python lambda runs arbitrary code when the model is loaded.",
    );
    assert.equal((f.evidence as Record<string, unknown>).bytecode, "missing");
  });

  test("a bare __lambda__ with its code in config.value (serialization_lib) names what the code uses", () => {
    malicious(
      scan(
        seq([
          {
            class_name: "Dense",
            config: {
              activation: { class_name: "__lambda__", config: { value: [EVIL, null, null] } },
            },
          },
        ]),
      ),
      "KERAS_LAMBDA",
      "its code uses",
    );
  });

  test("lambda bytecode behind a 16-byte .pyc header (3.11 magic) is still decoded", () => {
    const marshal = Buffer.from(EVIL, "base64");
    const header = Buffer.from([0xa7, 0x0d, 0x0d, 0x0a, ...new Array(12).fill(0)]);
    const code = Buffer.concat([header, marshal]).toString("base64");
    const config = seq([
      {
        class_name: "Lambda",
        config: {
          name: "pyc",
          function: [code, null, null],
          function_type: "lambda",
          module: "__main__",
        },
      },
    ]);
    const f = malicious(scan(config), "KERAS_LAMBDA", "its code uses");
    const fn = (f.evidence as Record<string, Record<string, unknown>>).function;
    assert.deepEqual(fn?.pycMagic, { value: 3495, python: "3.11" });
    assert.equal(fn?.bytecode, "marshal");
    assert.equal(walkKerasConfig(config, policy, "c").summary.lambdas, 1);
  });
});
