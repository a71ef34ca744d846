/**
 * Frame boundaries: where CPython's readers part ways on the same bytes. A pickler never lets an
 * opcode or its argument run past the end of its FRAME, so a stream that does is hand-made, and
 * the readers see different pickles (a known CPython bug class, see reader.ts enterFrame):
 *
 * - pickle.loads (C, from bytes), and the C unpickler reading a file whose peek() covers each
 *   frame (a buffered file, a small frame): frames change nothing, the stream is read linearly;
 * - the pure-Python unpickler (pickle._Unpickler; joblib's unpickler): raises "pickle exhausted
 *   before end of frame" (or "beginning of a new frame before end of current frame") there;
 * - the C unpickler reading a file object with read() (io.BytesIO, unbuffered files, or a frame
 *   larger than what peek() returns): drops the unread rest of the frame and reads after it.
 *
 * Which file reading happens depends on the file object and on its buffer at run time, frame by
 * frame, so every combination that changes what is read is walked (up to MAX_READINGS).
 */
import { type Finding, finding } from "../../core/finding.js";
import type { ScanContext } from "../context.js";
import type { ByteSource } from "../source.js";
import { evaluatePickle } from "./rules.js";
import type { FrameDecision, FrameEvent, PickleHooks, PickleStreamResult } from "./types.js";
import { walkPickle } from "./walker.js";

/** File-object readings walked per stream before the rest counts as over budget. */
export const MAX_READINGS = 16;

const PYTHON_STOPS: Record<Exclude<FrameEvent["kind"], "dropped">, string> = {
  "read-past-frame": "pickle exhausted before end of frame",
  "readinto-past-frame": "pickle exhausted before end of frame",
  "frame-in-frame": "beginning of a new frame before end of current frame",
};

function describeEvent(e: FrameEvent): string {
  if (e.kind === "frame-in-frame") {
    return `the FRAME at offset ${e.offset} starts before the frame ending at ${e.frameEnd} is used up`;
  }
  return `the opcode at offset ${e.offset} reads from offset ${e.at} past the end of its frame at ${e.frameEnd}`;
}

/**
 * Findings for a stream whose linear walk met a frame event: one PICKLE_READER_DISAGREEMENT, and
 * what the file-object readings import and call (policy findings not already reported).
 */
export function scanFrameReadings(
  source: ByteSource,
  stream: PickleStreamResult,
  ctx: Pick<ScanContext, "budget" | "policy">,
  hooks: PickleHooks | undefined,
  already: readonly Finding[],
): Finding[] {
  const first = stream.frames?.events[0];
  if (first === undefined || first.kind === "dropped") return [];
  const out: Finding[] = [];
  const seen = new Set(already.map((f) => `${f.code}@${f.offset ?? ""}`));
  const readings: string[] = [];
  // Depth-first over the frames whose rest a read() reading drops: each can also be peek()ed.
  const pending: FrameDecision[][] = [[]];
  let walked = 0;
  let dropped = 0;
  while (pending.length > 0) {
    const decisions = pending.pop() as FrameDecision[];
    if (walked >= MAX_READINGS) {
      out.push(
        finding(
          "BUDGET_EXCEEDED",
          "unscannable",
          `The pickle at offset ${stream.start} has more than ${MAX_READINGS} ways a C unpickler reading a file object can read its frames; the rest were not walked.`,
          { offset: stream.start },
        ),
      );
      break;
    }
    walked++;
    const result = walkPickle(source, {
      offset: stream.start,
      budget: ctx.budget,
      ...(hooks === undefined ? {} : { hooks }),
      frames: { mode: "file", decisions },
    });
    const frames = result.frames;
    const drops = frames?.drops ?? [];
    for (const d of drops) {
      if (d >= decisions.length) pending.push([...(frames?.choices.slice(0, d) ?? []), "peek"]);
    }
    if (drops.length === 0) continue; // the same as the linear reading
    dropped++;
    const skipped = (frames?.events ?? [])
      .filter((e) => e.kind === "dropped")
      .map((e) => `${e.at}..${e.frameEnd}`);
    const label = `Read as the C unpickler reads a file object with read() (skipping bytes ${skipped.join(", ")})`;
    readings.push(
      `a C unpickler reading a file object with read() skips bytes ${skipped.join(", ")}: ${describeReading(result)}`,
    );
    for (const f of [...result.findings, ...evaluatePickle(result, ctx.policy.pickle)]) {
      const key = `${f.code}@${f.offset ?? ""}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ ...f, message: `${label}: ${f.message}` });
    }
  }
  const python = `the pure-Python unpickler (pickle._Unpickler, joblib) stops there ("${PYTHON_STOPS[first.kind]}")`;
  const linear = `pickle.loads and the C unpickler reading a buffered file read on: ${describeReading(stream)}`;
  out.unshift(
    finding(
      "PICKLE_READER_DISAGREEMENT",
      "malicious",
      `Readers of this pickle disagree: ${describeEvent(first)}. Then ${[python, linear, ...readings].join("; ")}. A pickler never writes this; each reading was scanned.`,
      { offset: first.offset, evidence: { readings: 2 + dropped, event: first } },
    ),
  );
  return out;
}

function describeReading(result: PickleStreamResult): string {
  const imports = [...new Set(result.imports.map((i) => `${i.module}.${i.name}`))];
  const what = imports.length === 0 ? "no import" : `imports ${imports.slice(0, 5).join(", ")}`;
  return `${what}${result.complete ? `, up to STOP at ${result.end - 1}` : `, before breaking at ${result.end}`}`;
}
