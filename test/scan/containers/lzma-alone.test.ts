/**
 * LZMA-alone decoder against crafted streams: each stream is well formed bit for bit (written by
 * the test encoder in lzma-encoder.ts, which mirrors the decoder's model) and lies in one place the
 * reference decoder rejects: a declared size the data runs past or stops short of, a repeat before
 * any output, an end marker the range coder does not end on, a range coder that starts at its
 * maximum. Each must end in ScanError with the reason, never in output; honest streams must decode
 * to exactly what their packets say, with the output growing past its first guess but never past
 * the cap.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ScanError } from "../../../src/core/errors.js";
import { type OutputCap, OutputCapError } from "../../../src/scan/containers/decompress.js";
import { unlzmaAloneCapped } from "../../../src/scan/containers/lzma-alone.js";
import { codesOf, EVIL, scan, show } from "./helpers.js";
import { LzmaWriter } from "./lzma-encoder.js";

const CAP: OutputCap = { max: 1 << 20, reason: "memory" };
const text = (bytes: Uint8Array) => String.fromCharCode(...bytes);

function corruptWith(input: Uint8Array, why: RegExp, cap = CAP): void {
  assert.throws(
    () => unlzmaAloneCapped(input, cap),
    (error: unknown) =>
      error instanceof ScanError && error.code === "SCAN_FORMAT" && why.test(error.message),
  );
}

describe("LZMA-alone decoder: honest crafted streams", () => {
  it("decodes every packet kind (literals, matched literals, near and far matches, short rep, reps 0-3, end marker) to what the packets say", () => {
    const w = new LzmaWriter()
      .literals("abcdefgh")
      .match(7, 3) // "abc"
      .literals("zz") // literals after a match: coded against the match byte
      .match(1, 2)
      .rep(1, 4)
      .rep(2, 2)
      .rep(3, 3)
      .shortRep()
      .rep(0, 5);
    for (let i = 0; i < 40; i++) w.literalByte(0x20 + ((i * 7) % 90));
    w.match(60, 17) // a distance slot with reverse-coded bits
      .match(40, 40) // a length from the high length coder
      .end();
    const out = unlzmaAloneCapped(w.finish(), CAP);
    assert.equal(text(out), String.fromCharCode(...w.out));
    assert.ok(out.length > 100);
  });

  it("decodes a stream with a declared size and no end marker, stopping exactly at the size", () => {
    const w = new LzmaWriter({ size: 11 }).literals("abcd").match(3, 4).literals("xyz");
    assert.equal(text(unlzmaAloneCapped(w.finish(), CAP)), "abcdabcdxyz");
  });

  it("accepts a declared size and an end marker right at that size", () => {
    const w = new LzmaWriter({ size: 6 }).literals("ab").match(1, 4).end();
    assert.equal(text(unlzmaAloneCapped(w.finish(), CAP)), "ababab");
  });

  it("grows the output past its first guess (4x the input + 4 KiB) for a stream of unknown size that expands 300:1", () => {
    const w = new LzmaWriter().literals("pickle").match(5, 273);
    for (let i = 0; i < 100; i++) w.rep(0, 273);
    const input = w.end().finish();
    const out = unlzmaAloneCapped(input, CAP);
    assert.ok(out.length > input.length * 4 + 4096, `${out.length} from ${input.length}`);
    assert.equal(out.length, 6 + 273 * 101);
    assert.equal(text(out.subarray(0, 12)), "picklepickle");
    assert.equal(text(out), String.fromCharCode(...w.out));
  });

  it("stops growing at the cap: the same stream under a 20000-byte cap is OutputCapError, not a larger buffer", () => {
    const w = new LzmaWriter().literals("pickle").match(5, 273);
    for (let i = 0; i < 100; i++) w.rep(0, 273);
    const cap: OutputCap = { max: 20_000, reason: "ratio" };
    assert.throws(
      () => unlzmaAloneCapped(w.end().finish(), cap),
      (error: unknown) => error instanceof OutputCapError && error.cap === cap,
    );
  });

  it("scans a known-size LZMA-alone stream wrapping posix.system: the call is found inside", async () => {
    const w = new LzmaWriter({ size: EVIL.length });
    for (const b of EVIL) w.literalByte(b);
    const node = await scan(w.finish(), "model.joblib.lzma");
    assert.equal(node.verdict, "malicious", show(node));
    assert.equal(node.members?.[0]?.format, "pickle", show(node));
    assert.ok(codesOf(node).has("PICKLE_DANGEROUS_GLOBAL"), show(node));
  });
});

describe("LZMA-alone decoder: lying streams", () => {
  it("refuses a range coder whose first code is 0xFFFFFFFF (the reference decoder's 'starts at its maximum')", () => {
    const input = new LzmaWriter().finish();
    input.set([0, 0xff, 0xff, 0xff, 0xff], 13);
    corruptWith(input, /starts at its maximum/);
  });

  it("refuses a literal after the declared size is reached", () => {
    corruptWith(
      new LzmaWriter({ size: 3 }).literals("abcd").finish(),
      /data continues past the declared size/,
    );
  });

  it("refuses a short rep after the declared size is reached", () => {
    corruptWith(
      new LzmaWriter({ size: 3 }).literals("abc").shortRep().finish(),
      /data continues past the declared size/,
    );
  });

  it("refuses a match after the declared size is reached", () => {
    corruptWith(
      new LzmaWriter({ size: 3 }).literals("abc").match(2, 2).finish(),
      /data continues past the declared size/,
    );
  });

  it("refuses a match longer than what is left of the declared size", () => {
    corruptWith(
      new LzmaWriter({ size: 4 }).literals("abc").match(2, 2).finish(),
      /a match runs past the declared size/,
    );
    corruptWith(
      new LzmaWriter({ size: 4 }).literals("abc").rep(0, 3).finish(),
      /a match runs past the declared size/,
    );
  });

  it("refuses a short rep as the very first packet (a repeat of bytes that do not exist)", () => {
    corruptWith(new LzmaWriter().shortRep().finish(), /a repeated match before any output/);
    corruptWith(new LzmaWriter().rep(2, 4).finish(), /a repeated match before any output/);
  });

  it("refuses a match whose distance reaches before the first byte", () => {
    corruptWith(
      new LzmaWriter().literals("ab").match(2, 2).end().finish(),
      /a match distance points before the data/,
    );
  });

  it("refuses an end marker followed by more coded packets (the range coder does not end on the marker)", () => {
    corruptWith(
      new LzmaWriter().literals("abc").end().literals("hidden payload").finish(),
      /the end marker is not at the end of the range coder/,
    );
  });

  it("refuses an end marker before the declared size is reached", () => {
    corruptWith(
      new LzmaWriter({ size: 5 }).literals("ab").end().finish(),
      /the end marker comes before the declared size/,
    );
  });

  it("refuses a second stream appended after the end marker", () => {
    const first = new LzmaWriter().literals("ok").end().finish();
    const second = new LzmaWriter().literals("evil").end().finish();
    const both = new Uint8Array(first.length + second.length);
    both.set(first);
    both.set(second, first.length);
    corruptWith(both, new RegExp(`${second.length} byte\\(s\\) follow the stream`));
  });
});
