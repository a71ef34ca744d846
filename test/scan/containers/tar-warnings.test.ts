/** A tar of many damaged headers lists the first MAX_TAR_WARNINGS and counts the rest in one finding. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { loadScanPolicy } from "../../../src/io/policy-files.js";
import { MAX_TAR_WARNINGS } from "../../../src/scan/containers/tar.js";
import { scanSource } from "../../../src/scan/dispatch.js";
import { bytesSource } from "../../../src/scan/source.js";

const policy = loadScanPolicy();

/** A ustar header of an empty regular file; `breakChecksum` changes the name after summing. */
function header(name: string, breakChecksum: boolean): Uint8Array {
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write("0000644\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  h.write("00000000000\0", 124);
  h.write("00000000000\0", 136);
  h.write("        ", 148);
  h[156] = 0x30;
  h.write("ustar\0", 257);
  h.write("00", 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  if (breakChecksum) h[0] = 0x78;
  return h;
}

describe("tar damage warnings", () => {
  test("150 bad headers: 100 listed, the other 50 counted in one finding, unscannable", async () => {
    const blocks = [header("a", false)];
    for (let i = 0; i < MAX_TAR_WARNINGS + 50; i++) blocks.push(header("a", true));
    const node = await scanSource(bytesSource(Buffer.concat(blocks)), { policy, path: "x.tar" });
    assert.equal(node.format, "tar");
    assert.equal(node.verdict, "unscannable");
    const damage = node.findings.filter((f) => /tar archive is damaged/.test(f.message));
    assert.equal(damage.length, MAX_TAR_WARNINGS + 1, JSON.stringify(node.findings.slice(-3)));
    assert.match(damage.at(-1)?.message ?? "", /in 50 more places, not listed/);
  });
});
