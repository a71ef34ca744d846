import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ScanNode } from "../../../src/core/report.js";
import { scanSource } from "../../../src/scan/dispatch.js";
import { checkExternalLocation } from "../../../src/scan/onnx/external-data.js";
import { bytesSource } from "../../../src/scan/source.js";
import {
  bytes,
  cat,
  externalTensor,
  onnxGraph,
  onnxModel,
  onnxNode,
  pbBytes,
  pbVarint,
} from "../protobuf/encode.js";
import {
  assertExpected,
  emptyPolicy,
  formatFixtures,
  scanFixture,
} from "../protobuf/fixture-manifest.js";

const scan = (bytes: Uint8Array): Promise<ScanNode> =>
  scanSource(bytesSource(bytes), { policy: emptyPolicy, path: "model.onnx" });

const codes = (node: ScanNode): string[] => node.findings.map((f) => f.code);

describe("ONNX fixtures (made by the onnx package)", () => {
  for (const fixture of formatFixtures("onnx/")) {
    it(`${fixture.path} → ${fixture.verdict}`, async () => {
      assertExpected(await scanFixture(fixture), fixture);
    });
  }

  it("summarises opsets, nodes, initializers and external files", async () => {
    const [inside] = formatFixtures("onnx/external-data-inside.onnx");
    const node = await scanFixture(inside!);
    assert.deepEqual(node.summary?.externalDataFiles, ["weights/w.bin"]);
    assert.deepEqual(node.summary?.opsetImports, [{ domain: "", version: 13 }]);
    assert.equal(node.summary?.nodes, 1);
    assert.equal(node.summary?.initializers, 1);
    assert.equal(node.summary?.producer, "modelvet-fixtures");
  });
});

describe("external-data locations", () => {
  const escaping = [
    "../w.bin",
    "a/../../w.bin",
    "/etc/passwd",
    "C:/Windows/win.ini",
    "c:w.bin",
    "..\\w.bin",
    "sub\\w.bin",
    "~/.ssh/id_rsa",
    "",
    "w.bin\u0000.txt",
    "*/_ORT_MEM_ADDR_/*",
    "file:///etc/passwd",
  ];
  for (const loc of escaping) {
    it(`rejects ${JSON.stringify(loc)}`, () => assert.ok(checkExternalLocation(loc)));
  }
  for (const loc of ["w.bin", "weights/w.bin", "./w.bin", "a..b.bin", "model.onnx_data"]) {
    it(`accepts ${JSON.stringify(loc)}`, () => assert.equal(checkExternalLocation(loc), undefined));
  }
});

describe("ONNX hostile catalogue", () => {
  const addNode = pbBytes(1, onnxNode("Add"));
  const cases: Array<{ name: string; bytes: () => Uint8Array; expect: string; verdict: string }> = [
    {
      name: "ORT memory-address location",
      bytes: () =>
        onnxModel(
          onnxGraph(addNode, pbBytes(5, externalTensor("w", ["location", "*/_ORT_MEM_ADDR_/*"]))),
        ),
      expect: "ONNX_EXTERNAL_DATA_ESCAPE",
      verdict: "malicious",
    },
    {
      name: "external data with no location",
      bytes: () => onnxModel(onnxGraph(addNode, pbBytes(5, externalTensor("w", ["offset", "0"])))),
      expect: "ONNX_INVALID",
      verdict: "unscannable",
    },
    {
      name: "two locations, one escaping",
      bytes: () =>
        onnxModel(
          onnxGraph(
            addNode,
            pbBytes(5, externalTensor("w", ["location", "ok.bin"], ["location", "../x"])),
          ),
        ),
      expect: "ONNX_EXTERNAL_DATA_ESCAPE",
      verdict: "malicious",
    },
    {
      name: "escape in a sparse initializer",
      bytes: () =>
        onnxModel(
          onnxGraph(addNode, pbBytes(15, pbBytes(1, externalTensor("v", ["location", "/abs"])))),
        ),
      expect: "ONNX_EXTERNAL_DATA_ESCAPE",
      verdict: "malicious",
    },
    {
      name: "escape in a Loop body three levels down",
      bytes: () => {
        let g = onnxGraph(pbBytes(5, externalTensor("deep", ["location", "../../deep"])));
        for (let i = 0; i < 3; i++)
          g = onnxGraph(
            pbBytes(1, onnxNode("Loop", "", pbBytes(5, cat(pbBytes(1, "body"), pbBytes(6, g))))),
          );
        return onnxModel(g);
      },
      expect: "ONNX_EXTERNAL_DATA_ESCAPE",
      verdict: "malicious",
    },
    {
      name: "escape in a model-local function's Constant",
      bytes: () =>
        onnxModel(
          onnxGraph(addNode),
          pbBytes(
            25,
            cat(
              pbBytes(1, "F"),
              pbBytes(10, "f.dom"),
              pbBytes(
                7,
                onnxNode(
                  "Constant",
                  "",
                  pbBytes(
                    5,
                    cat(
                      pbBytes(1, "value"),
                      pbBytes(5, externalTensor("c", ["location", "D:\\x"])),
                    ),
                  ),
                ),
              ),
            ),
          ),
        ),
      expect: "ONNX_EXTERNAL_DATA_ESCAPE",
      verdict: "malicious",
    },
    {
      name: "custom domain inside a subgraph",
      bytes: () =>
        onnxModel(
          onnxGraph(
            pbBytes(
              1,
              onnxNode(
                "If",
                "",
                pbBytes(
                  5,
                  cat(
                    pbBytes(1, "then_branch"),
                    pbBytes(6, pbBytes(1, onnxNode("Evil", "org.evil"))),
                  ),
                ),
              ),
            ),
          ),
        ),
      expect: "ONNX_CUSTOM_DOMAIN",
      verdict: "suspicious",
    },
    {
      name: "custom domain whose op is not among the local functions",
      bytes: () =>
        onnxModel(
          onnxGraph(pbBytes(1, onnxNode("Other", "f.dom"))),
          pbBytes(25, cat(pbBytes(1, "F"), pbBytes(10, "f.dom"))),
        ),
      expect: "ONNX_CUSTOM_DOMAIN",
      verdict: "suspicious",
    },
    {
      name: "subgraphs nested 40 deep",
      bytes: () => {
        let g = onnxGraph(addNode);
        for (let i = 0; i < 40; i++)
          g = onnxGraph(pbBytes(1, onnxNode("If", "", pbBytes(5, pbBytes(6, g)))));
        return onnxModel(g);
      },
      expect: "BUDGET_EXCEEDED",
      verdict: "unscannable",
    },
    {
      name: "op_type with the wrong wire type",
      bytes: () => onnxModel(onnxGraph(pbBytes(1, pbVarint(4, 7)))),
      expect: "ONNX_INVALID",
      verdict: "unscannable",
    },
    {
      name: "node whose length runs past the graph",
      bytes: () => onnxModel(cat([0x0a, 0x7f], onnxNode("Add"))),
      expect: "ONNX_INVALID",
      verdict: "unscannable",
    },
    {
      name: "graph truncated inside an initializer",
      bytes: () => {
        const full = onnxModel(
          onnxGraph(addNode, pbBytes(5, cat(pbBytes(8, "w"), pbBytes(9, new Uint8Array(64))))),
        );
        return full.subarray(0, full.length - 30);
      },
      expect: "UNSCANNABLE",
      verdict: "unscannable",
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const node = await scan(c.bytes());
      assert.equal(node.verdict, c.verdict, JSON.stringify(node.findings));
      assert.ok(codes(node).includes(c.expect), JSON.stringify(node.findings));
    });
  }

  it("an all-ASCII model (no NUL byte) is not mistaken for text", async () => {
    const model = bytes(
      pbVarint(1, 8),
      pbBytes(
        7,
        cat(
          pbBytes(1, onnxNode("Add")),
          pbBytes(5, externalTensor("w", ["location", "../../etc/passwd"])),
        ),
      ),
    );
    assert.ok(!model.includes(0));
    const node = await scan(model);
    assert.equal(node.format, "onnx");
    assert.equal(node.verdict, "malicious", JSON.stringify(node.findings));
  });

  it("a clean hand-built model stays clean (the catalogue's control)", async () => {
    const node = await scan(
      onnxModel(
        onnxGraph(
          pbBytes(1, onnxNode("Add")),
          pbBytes(5, externalTensor("w", ["location", "w.bin"])),
        ),
      ),
    );
    assert.equal(node.verdict, "clean", JSON.stringify(node.findings));
    assert.equal(node.format, "onnx");
  });
});
