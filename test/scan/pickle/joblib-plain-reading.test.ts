/**
 * A payload hidden where joblib would read array bytes: joblib.load skips them, pickle.load and
 * torch.load run them. A top-level pickle file must be judged both ways.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import { loadScanPolicy } from "../../../src/io/policy-files.js";
import { scanSource } from "../../../src/scan/dispatch.js";
import { bytesSource } from "../../../src/scan/source.js";
import { REPO_ROOT } from "../../helpers/run-cli.js";

const policy = loadScanPolicy();

test("a payload in joblib array bytes is reported when the file is read as plain pickle.load reads it", async () => {
  const gz = readFileSync(
    join(REPO_ROOT, "fixtures/containers/techniques/joblib-array-hides-payload.pkl.gz"),
  );
  const node = await scanSource(bytesSource(gunzipSync(gz)), { policy, path: "model.pkl" });
  assert.equal(node.verdict, "malicious");
  assert.ok(
    node.findings.some(
      (f) => f.code === "PICKLE_DANGEROUS_GLOBAL" && /posix\.system/.test(f.message),
    ),
    JSON.stringify(node.findings.map((f) => f.message)),
  );
});

test("real joblib files with numpy arrays stay clean under the second reading", async () => {
  for (const name of ["benign/joblib-arrays.joblib", "benign/joblib-logreg.joblib"]) {
    const node = await scanSource(
      bytesSource(readFileSync(join(REPO_ROOT, "fixtures/pickle", name))),
      { policy, path: name },
    );
    assert.equal(node.verdict, "clean", `${name}: ${JSON.stringify(node.findings)}`);
  }
});

test("STACK_GLOBAL on the result of an allowlisted call imports nothing (the loader raises): no finding", async () => {
  const { allFindings, codes, op, pk, walk } = await import("./helpers.js");
  // What plain pickle.load meets in joblib's nested object-array pickles: BINGET of an outer object.
  const safe = pk(
    op.proto(4),
    op.global("collections", "OrderedDict"),
    op.EMPTY_TUPLE,
    op.REDUCE,
    op.shortBinunicode("dtype"),
    op.STACK_GLOBAL,
    op.STOP,
  );
  assert.deepEqual(codes(allFindings(walk(safe))), []);
  // The result of a call to something not allowlisted could be a str: still never allowed.
  const unknown = pk(
    op.proto(4),
    op.global("somepkg", "Factory"),
    op.EMPTY_TUPLE,
    op.REDUCE,
    op.shortBinunicode("dtype"),
    op.STACK_GLOBAL,
    op.STOP,
  );
  assert.ok(codes(allFindings(walk(unknown))).includes("PICKLE_UNSAFE_NAME"));
  // A constant of another type stays reported too (a hand-made stream).
  const int = pk(op.proto(4), op.binint1(1), op.shortBinunicode("x"), op.STACK_GLOBAL, op.STOP);
  assert.ok(codes(allFindings(walk(int))).includes("PICKLE_UNSAFE_NAME"));
});
