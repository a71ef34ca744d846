/**
 * HDF5 read as h5py reads it, and never a hang (issue #12, item 3). HDF5 runs in a worker thread
 * with a deadline (io/hdf5-runner.ts); here the deadline is short so that the files that make
 * HDF5 loop cost little. Fixtures: fixtures/keras-mutants (one-byte mutations of fixtures/keras,
 * made by fixtures/gen/keras_mutants.py) and seeded mutations of fixtures/keras/malicious.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { ScanNode } from "../../../src/core/report.js";
import { Hdf5Runner } from "../../../src/io/hdf5-runner.js";
import { loadScanPolicy } from "../../../src/io/policy-files.js";
import { scanSource } from "../../../src/scan/dispatch.js";
import { bytesSource } from "../../../src/scan/source.js";

const FIXTURES = join(import.meta.dirname, "..", "..", "..", "fixtures");
const fixture = (p: string) => new Uint8Array(readFileSync(join(FIXTURES, p)));

const DEADLINE_MS = 1500;
const runner = new Hdf5Runner({ deadlineMs: DEADLINE_MS });
after(() => runner.close());
const shipped = loadScanPolicy();
const policy = { ...shipped, keras: { ...shipped.keras, readHdf5: runner.read } };

function scan(bytes: Uint8Array, path = "model.h5"): Promise<ScanNode> {
  return scanSource(bytesSource(bytes), { policy, path });
}

const codes = (node: ScanNode) => node.findings.map((f) => f.code);

describe("HDF5 read as h5py reads it", () => {
  test("one byte in model_config's datatype: h5wasm lists no attribute, HDF5 1.10 (h5py) reads the Lambda → malicious, not plain data", async () => {
    const node = await scan(fixture("keras-mutants/hostile/model-config-datatype-size.h5"));
    assert.equal(node.verdict, "malicious", JSON.stringify(node.findings));
    assert.ok(codes(node).includes("UNSCANNABLE"));
    const lambda = node.findings.find((f) => f.code === "KERAS_LAMBDA");
    assert.match(lambda?.message ?? "", /raw bytes/);
    assert.notEqual(node.summary?.keras, undefined);
  });

  test("a damaged training_config message empties the list, model_config still opens by name → the Lambda is walked", async () => {
    const node = await scan(fixture("keras-mutants/hostile/training-config-message-version.h5"));
    assert.equal(node.verdict, "malicious");
    const lambda = node.findings.find((f) => f.code === "KERAS_LAMBDA");
    assert.equal(lambda?.evidence?.layer, "evil", "found by walking model_config, not by bytes");
    const unlisted = node.findings.find((f) => f.evidence?.unlisted !== undefined);
    assert.deepEqual(unlisted?.evidence?.unlisted, ["model_config", "keras_version", "backend"]);
    assert.ok(node.findings.some((f) => f.evidence?.attribute === "training_config"));
  });

  test("model_config renamed (a foreign attribute beside keras_version) is not plain data", async () => {
    const bytes = fixture("keras/malicious/lambda-timedistributed.h5");
    const at = Buffer.from(bytes).indexOf("model_config\0");
    bytes[at + 8] = "8".charCodeAt(0); // model_co8fig: h5py lists it, Keras finds no model_config
    const node = await scan(bytes);
    assert.equal(node.verdict, "suspicious", JSON.stringify(node.findings));
    assert.deepEqual(node.findings.find((f) => f.code === "KERAS_INVALID")?.evidence?.foreign, [
      "model_co8fig",
    ]);
    assert.ok(codes(node).includes("KERAS_LAMBDA"), "the Lambda JSON is in the raw metadata");
  });

  test("plain HDF5 data made by h5py stays clean, with nothing flagged", async () => {
    const node = await scan(fixture("keras/benign/plain-data.h5"));
    assert.equal(node.verdict, "clean");
    assert.deepEqual(node.findings, []);
  });

  for (const path of [
    "keras/benign/sequential-keras2.h5",
    "keras/benign/bidirectional-lstm.h5",
    "keras/benign/nested-functional-keras213.h5",
    "keras/benign/lambda-free-keras2.h5",
  ]) {
    test(`benign Keras model stays clean through the checks: ${path}`, async () => {
      const node = await scan(fixture(path));
      assert.equal(node.verdict, "clean", JSON.stringify(node.findings));
    });
  }
});

describe("HDF5 never hangs", () => {
  for (const name of ["loop-global-heap-collection.h5", "loop-timedistributed.h5"]) {
    test(`${name}: HDF5 loops forever → stopped at the deadline, unscannable (BUDGET_EXCEEDED)`, async () => {
      const node = await scan(fixture(`keras-mutants/hostile/${name}`));
      assert.equal(node.verdict, "unscannable");
      const budget = node.findings.find((f) => f.code === "BUDGET_EXCEEDED");
      assert.match(budget?.message ?? "", /did not finish reading the file within 1\.5 s/);
      assert.equal(budget?.expected, DEADLINE_MS);
    });
  }

  test("after a file hits the deadline the next files are scanned (a new worker)", async () => {
    await scan(fixture("keras/benign/plain-data.h5")); // a warm worker
    const started = runner.workersStarted;
    const nodes: ScanNode[] = [];
    for (const path of [
      "keras-mutants/hostile/loop-timedistributed.h5",
      "keras/malicious/lambda-keras2.h5",
      "keras/benign/sequential-keras2.h5",
    ])
      nodes.push(await scan(fixture(path)));
    assert.deepEqual(
      nodes.map((n) => n.verdict),
      ["unscannable", "malicious", "clean"],
    );
    assert.equal(runner.workersStarted, started + 1);
  });

  test("files scanned at the same time take turns in the one warm worker", async () => {
    const nodes = await Promise.all(
      ["keras/malicious/lambda-keras2.h5", "keras/benign/plain-data.h5"].map((p) =>
        scan(fixture(p)),
      ),
    );
    assert.deepEqual(
      nodes.map((n) => n.verdict),
      ["malicious", "clean"],
    );
  });
});

describe("seeded byte mutations of the keras fixtures", () => {
  const dir = (d: string) => join(FIXTURES, "keras", d);
  const list = (d: string, ext: RegExp) =>
    readdirSync(dir(d))
      .filter((f) => ext.test(f))
      .map((f) => join(d, f));
  // mulberry32: the same mutants on every run.
  let seed = 0x5eed_0012;
  const rand = (n: number): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
  /** One or two random bytes changed; in an .h5, within the metadata (8 KiB after the signature). */
  function mutate(base: Uint8Array, name: string): { bytes: Uint8Array; changed: string } {
    const m = base.slice();
    const start = name.endsWith(".h5")
      ? Buffer.from(base).indexOf("\x89HDF\r\n\x1a\n", 0, "latin1")
      : 0;
    const span = name.endsWith(".h5") ? Math.min(8192, m.length - start) : m.length;
    const changed: string[] = [];
    for (let k = 0; k < 1 + rand(2); k++) {
      const at = start + rand(span);
      m[at] = rand(256);
      changed.push(`${at}=${m[at]}`);
    }
    return { bytes: m, changed: changed.join(" ") };
  }

  const malicious = list("malicious", /\.(h5|keras)$/);
  const PER_FILE = 16;
  test(`${PER_FILE} one- and two-byte mutants of each of ${malicious.length} malicious files: every scan ends and every mutant blocks`, async (t) => {
    assert.ok(malicious.length >= 12);
    const verdicts: Record<string, number> = {};
    let budgetHits = 0;
    for (const file of malicious) {
      const base = new Uint8Array(readFileSync(join(FIXTURES, "keras", file)));
      for (let i = 0; i < PER_FILE; i++) {
        const { bytes, changed } = mutate(base, file);
        const node = await scan(bytes, file);
        verdicts[node.verdict] = (verdicts[node.verdict] ?? 0) + 1;
        if (codes(node).includes("BUDGET_EXCEEDED")) budgetHits++;
        assert.notEqual(
          node.verdict,
          "clean",
          `${file} [${changed}]: ${JSON.stringify(node.findings)}`,
        );
      }
    }
    assert.equal(
      Object.values(verdicts).reduce((a, b) => a + b, 0),
      malicious.length * PER_FILE,
    );
    t.diagnostic(`verdicts ${JSON.stringify(verdicts)}, stopped at the deadline: ${budgetHits}`);
  });

  const benign = list("benign", /\.h5$/);
  test(`mutants of the ${benign.length} benign .h5 files: every scan ends in a verdict`, async () => {
    for (const file of benign) {
      const base = new Uint8Array(readFileSync(join(FIXTURES, "keras", file)));
      for (let i = 0; i < 8; i++) {
        const node = await scan(mutate(base, file).bytes, file);
        assert.ok(["clean", "suspicious", "unscannable", "malicious"].includes(node.verdict));
      }
    }
  });
});
