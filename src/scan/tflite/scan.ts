/**
 * TensorFlow Lite models (`.tflite`): a FlatBuffer with file identifier "TFL3" at offset 4. The
 * interpreter runs built-in kernels by code; it runs a custom op only when the application
 * registered a kernel of that name, and `Flex*` custom ops through the Flex delegate, which runs
 * full TensorFlow ops (file reads and writes among them). So the scanner reads the model's
 * operator codes (schema.fbs: Model.operator_codes = field 1; OperatorCode.deprecated_builtin_code
 * = 0, custom_code = 1, builtin_code = 3; BuiltinOperator CUSTOM = 32) and names every custom and
 * Flex op as a finding. Buffers are tensor bytes. Every offset is bounds-checked: a file whose
 * structure cannot be followed is unscannable.
 */
import { type Finding, finding } from "../../core/finding.js";
import { makeNode, type ScanNode } from "../../core/report.js";
import { overMemoryBudget } from "../budget.js";
import type { Scanner } from "../context.js";

const CUSTOM = 32;
/** Operator codes read before the rest counts as over budget (real models have < 200). */
const MAX_OPERATOR_CODES = 10_000;

class FlatError extends Error {}

class Flat {
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private check(at: number, size: number): void {
    if (!Number.isInteger(at) || at < 0 || at + size > this.bytes.length)
      throw new FlatError(`offset ${at} is outside the file`);
  }
  u8(at: number): number {
    this.check(at, 1);
    return this.view.getUint8(at);
  }
  i8(at: number): number {
    this.check(at, 1);
    return this.view.getInt8(at);
  }
  u16(at: number): number {
    this.check(at, 2);
    return this.view.getUint16(at, true);
  }
  u32(at: number): number {
    this.check(at, 4);
    return this.view.getUint32(at, true);
  }
  i32(at: number): number {
    this.check(at, 4);
    return this.view.getInt32(at, true);
  }
  /** Position of field `index` in the table at `table`, or undefined when absent. */
  field(table: number, index: number): number | undefined {
    const vtable = table - this.i32(table);
    const vsize = this.u16(vtable);
    if (vsize < 4 || vsize % 2 !== 0) throw new FlatError(`vtable at ${vtable} is malformed`);
    const slot = 4 + 2 * index;
    if (slot + 2 > vsize) return undefined;
    const rel = this.u16(vtable + slot);
    return rel === 0 ? undefined : table + rel;
  }
  /** Follows a uoffset stored at `at`. */
  deref(at: number): number {
    const target = at + this.u32(at);
    this.check(target, 4);
    return target;
  }
  vector(at: number): { start: number; length: number } {
    const v = this.deref(at);
    const length = this.u32(v);
    this.check(v + 4, length * 4);
    return { start: v + 4, length };
  }
  string(at: number): string {
    const s = this.deref(at);
    const length = this.u32(s);
    this.check(s + 4, length);
    return new TextDecoder("utf-8", { fatal: false }).decode(
      this.bytes.subarray(s + 4, s + 4 + length),
    );
  }
}

export function isTflite(head: Uint8Array): boolean {
  return (
    head.length >= 8 && head[4] === 0x54 && head[5] === 0x46 && head[6] === 0x4c && head[7] === 0x33
  );
}

/** The custom op names of a TFLite model (Flex ops included). Throws FlatError when malformed. */
export function tfliteOps(bytes: Uint8Array): { codes: number; custom: string[] } {
  const flat = new Flat(bytes);
  const model = flat.deref(0);
  const codesAt = flat.field(model, 1);
  if (codesAt === undefined) return { codes: 0, custom: [] };
  const { start, length } = flat.vector(codesAt);
  if (length > MAX_OPERATOR_CODES) throw new FlatError(`${length} operator codes`);
  const custom: string[] = [];
  for (let i = 0; i < length; i++) {
    const code = flat.deref(start + 4 * i);
    const deprecated = flat.field(code, 0);
    const builtin = flat.field(code, 3);
    const customAt = flat.field(code, 1);
    const name = customAt === undefined ? undefined : flat.string(customAt);
    const op =
      builtin !== undefined
        ? flat.i32(builtin)
        : deprecated !== undefined
          ? flat.i8(deprecated)
          : 0;
    if (op === CUSTOM || name !== undefined) custom.push(name ?? "<unnamed custom op>");
  }
  return { codes: length, custom };
}

export const scanTflite: Scanner = async (source, ctx): Promise<ScanNode> => {
  const base = { path: ctx.path, format: "tflite", size: source.size };
  const tooBig = overMemoryBudget(
    source.size,
    ctx.budget.limits.maxInMemoryBytes,
    base,
    "TFLite model",
  );
  if (tooBig) return tooBig;
  let ops: ReturnType<typeof tfliteOps>;
  try {
    ops = tfliteOps(source.read(0, source.size));
  } catch (error) {
    if (!(error instanceof FlatError)) throw error;
    return makeNode({
      ...base,
      findings: [
        finding(
          "UNSCANNABLE",
          "unscannable",
          `The TFLite FlatBuffer cannot be followed: ${error.message}.`,
        ),
      ],
    });
  }
  const findings: Finding[] = [...new Set(ops.custom)].map((name) =>
    finding(
      "TFLITE_CUSTOM_OP",
      "suspicious",
      name.startsWith("Flex")
        ? `The model uses the Flex op ${JSON.stringify(name)}: the Flex delegate runs it as a full TensorFlow op (which can read and write files).`
        : `The model uses the custom op ${JSON.stringify(name)}: it runs whatever kernel the application registered under that name.`,
      { evidence: { op: name } },
    ),
  );
  return makeNode({ ...base, findings, summary: { operatorCodes: ops.codes } });
};
