/**
 * The `storages` and `tensors` members of PyTorch's legacy tar format, damaged at each step of
 * legacy_load's read: every damage ends the walk with a finding that names it (unscannable when
 * the loader cannot read on, suspicious for bytes it would never read), never a throw or `clean`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ScanNode } from "../../../src/core/report.js";
import { cat, le, plainPickle, scan, show, tarEnd, tarMember, ustr } from "./helpers.js";

function messages(node: ScanNode, out: string[] = []): string[] {
  for (const f of node.findings) out.push(`${f.verdict}: ${f.message}`);
  for (const m of node.members ?? []) messages(m, out);
  return out;
}

const storageArgs = (type: string) =>
  plainPickle(cat("(", ustr("1"), ustr("cpu"), `c${type.replace(".", "\n")}\nt`));
const count = (n: number) => plainPickle(cat("J", le(n, 4)));

async function member(name: "storages" | "tensors", data: Uint8Array) {
  const node = await scan(cat(tarMember(name, data), tarEnd()), "model.tar");
  return { node, text: messages(node).join("\n") };
}

describe("legacy tar `storages` damage", () => {
  const cases: Array<[string, Uint8Array, RegExp, string]> = [
    [
      "a count pickle with no STOP",
      cat("\x80\x02K\x01"),
      /storage count pickle does not end/,
      "unscannable",
    ],
    [
      "a count that is not plain data",
      plainPickle("}}b"),
      /storage count is not plain data/,
      "unscannable",
    ],
    ["a negative count", count(-1), /Storage count -1 is out of range/, "unscannable"],
    [
      "a storage pickle with no STOP",
      cat(count(1), "\x80\x02("),
      /pickle of storage 0 does not end/,
      "unscannable",
    ],
    [
      "an unknown storage type",
      cat(count(1), storageArgs("torch.EvilStorage"), le(0, 8)),
      /Storage 0 has an unknown storage type/,
      "unscannable",
    ],
    [
      "a storage longer than the member",
      cat(count(1), storageArgs("torch.FloatStorage"), le(1000, 8), new Uint8Array(8)),
      /Storage 0 runs past the end of the member/,
      "unscannable",
    ],
    [
      "a views pickle with no STOP",
      cat(count(1), storageArgs("torch.FloatStorage"), le(1, 8), new Uint8Array(4), "\x80\x02]"),
      /storage-views pickle does not end/,
      "unscannable",
    ],
    [
      "bytes after the views",
      cat(count(0), plainPickle("]"), "junk"),
      /4 bytes follow the storage views/,
      "suspicious",
    ],
  ];
  for (const [name, data, message, verdict] of cases) {
    it(`${name} → ${verdict}`, async () => {
      const { node, text } = await member("storages", data);
      assert.match(text, message, show(node));
      assert.equal(node.verdict, verdict, show(node));
    });
  }

  it("a storage read whole, then its views, is clean", async () => {
    const { node } = await member(
      "storages",
      cat(
        count(1),
        storageArgs("torch.FloatStorage"),
        le(2, 8),
        new Uint8Array(8),
        plainPickle("]"),
      ),
    );
    assert.equal(node.verdict, "clean", show(node));
  });
});

describe("legacy tar `tensors` damage", () => {
  const tensorArgs = plainPickle(cat("(", ustr("0"), ustr("1"), "ctorch\nFloatTensor\nt"));
  const record = (ndim: number, ...dims: number[]) =>
    cat(tensorArgs, le(ndim, 4), le(0, 4), ...dims.map((d) => le(d, 8)));
  const cases: Array<[string, Uint8Array, RegExp, string]> = [
    [
      "a count pickle with no STOP",
      cat("\x80\x02K"),
      /tensor count pickle does not end/,
      "unscannable",
    ],
    [
      "a count too large for the budget",
      count(1 << 30),
      /Tensor count \d+ is out of range/,
      "unscannable",
    ],
    [
      "a tensor pickle with no STOP",
      cat(count(1), "\x80\x02("),
      /pickle of tensor 0 does not end/,
      "unscannable",
    ],
    [
      "a tensor with 100 dimensions",
      cat(count(1), record(100)),
      /Tensor 0 claims 100 dimensions/,
      "unscannable",
    ],
    [
      "a shape record cut short",
      cat(count(1), record(2, 4)),
      /Tensor 0's shape record runs past the end/,
      "unscannable",
    ],
    [
      "bytes after the last record",
      cat(count(1), record(1, 4, 1, 0), "xy"),
      /2 bytes follow the last tensor record/,
      "suspicious",
    ],
  ];
  for (const [name, data, message, verdict] of cases) {
    it(`${name} → ${verdict}`, async () => {
      const { node, text } = await member("tensors", data);
      assert.match(text, message, show(node));
      assert.equal(node.verdict, verdict, show(node));
    });
  }

  it("a whole one-dimensional record is clean", async () => {
    const { node } = await member("tensors", cat(count(1), record(1, 4, 1, 0)));
    assert.equal(node.verdict, "clean", show(node));
  });
});
