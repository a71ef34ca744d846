/**
 * numpy .npy (format versions 1.0, 2.0, 3.0). The header is a Python dict literal with exactly the
 * keys `descr`, `fortran_order`, `shape` (numpy rejects any other set). An object dtype (`|O`, or
 * an `O` field anywhere in a structured dtype) makes `numpy.load(allow_pickle=True)` call
 * `pickle.load` at the data offset, so those bytes go to the pickle scanner. Otherwise the data is
 * raw and its length must be item size × element count.
 */
import { ScanError } from "../../core/errors.js";
import { type Finding, finding } from "../../core/finding.js";
import { makeNode, type ScanNode } from "../../core/report.js";
import type { Scanner } from "../context.js";
import { type ByteSource, sliceSource } from "../source.js";
import { scanAsPickle } from "./member.js";
import { type PyLiteral, parsePyLiteral } from "./py-literal.js";

export interface NpyHeader {
  major: number;
  minor: number;
  descr: PyLiteral;
  fortranOrder: boolean;
  shape: number[];
  dataOffset: number;
  /** True when the dtype holds Python objects (the data is a pickle). */
  hasObject: boolean;
  /** Bytes per element; undefined for object dtypes. */
  itemSize: number | undefined;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const MAX_HEADER = 1024 * 1024;

function fail(message: string, offset?: number): never {
  throw new ScanError("SCAN_FORMAT", `npy: ${message}`, offset === undefined ? {} : { offset });
}

/** Item size of a simple dtype string such as '<f4', '|b1', '<U5', '|S3', '<M8[ns]', '|O'. */
function simpleDtype(descr: string): { size: number; object: boolean } {
  const m = /^([<>|=]?)([?bBhHiIlLqQpPefdgFDGSaUVOmMuicb])(\d*)(\[[A-Za-z0-9]+\])?$/.exec(descr);
  if (!m) fail(`unrecognised dtype ${JSON.stringify(descr)}`);
  const kind = m[2] ?? "";
  const digits = m[3] ? Number(m[3]) : undefined;
  if (kind === "O") return { size: 8, object: true };
  const defaults: Record<string, number> = {
    "?": 1,
    b: 1,
    B: 1,
    h: 2,
    H: 2,
    i: 4,
    I: 4,
    l: 8,
    L: 8,
    q: 8,
    Q: 8,
    p: 8,
    P: 8,
    e: 2,
    f: 4,
    d: 8,
    g: 16,
    F: 8,
    D: 16,
    G: 32,
    m: 8,
    M: 8,
  };
  if (kind === "U") return { size: 4 * (digits ?? 0), object: false };
  if (kind === "S" || kind === "a" || kind === "V") return { size: digits ?? 0, object: false };
  if (kind === "u" || kind === "c") {
    if (digits === undefined) fail(`dtype ${JSON.stringify(descr)} has no size`);
    return { size: digits, object: false };
  }
  if (digits !== undefined && kind !== "m" && kind !== "M") return { size: digits, object: false };
  return { size: defaults[kind] ?? fail(`dtype ${JSON.stringify(descr)}`), object: false };
}

function isTuple(v: PyLiteral): v is { kind: "tuple"; items: PyLiteral[] } {
  return typeof v === "object" && v !== null && v.kind === "tuple";
}

function intTuple(v: PyLiteral, what: string): number[] {
  if (!isTuple(v)) fail(`${what} is not a tuple`);
  return v.items.map((x) => {
    if (typeof x !== "number" || x < 0) fail(`${what} holds a non-integer or negative value`);
    return x;
  });
}

/** Size and object-ness of a dtype description (string or structured list). */
export function dtypeInfo(descr: PyLiteral, depth = 0): { size: number; object: boolean } {
  if (depth > 16) fail("structured dtype nested too deep");
  if (typeof descr === "string") return simpleDtype(descr);
  if (typeof descr !== "object" || descr === null || descr.kind !== "list")
    fail("descr is neither a dtype string nor a list of fields");
  let size = 0;
  let object = false;
  for (const field of descr.items) {
    if (!isTuple(field) || field.items.length < 2 || field.items.length > 3)
      fail("a structured dtype field is not (name, dtype[, shape])");
    const [name, type, shape] = field.items as [PyLiteral, PyLiteral, PyLiteral | undefined];
    const titled =
      isTuple(name) && name.items.length === 2 && name.items.every((x) => typeof x === "string");
    if (typeof name !== "string" && !titled) fail("a structured dtype field name is not a string");
    const inner = dtypeInfo(type, depth + 1);
    const count =
      shape === undefined ? 1 : intTuple(shape, "field shape").reduce((a, b) => a * b, 1);
    size += inner.size * count;
    object ||= inner.object;
  }
  return { size, object };
}

export function parseNpyHeader(source: ByteSource): NpyHeader {
  const head = source.read(0, 12);
  for (let i = 0; i < MAGIC.length; i++) if (head[i] !== MAGIC[i]) fail("no magic");
  const major = head[6];
  const minor = head[7];
  if (major === undefined || minor === undefined) fail("truncated before the version");
  if (![1, 2, 3].includes(major) || minor !== 0) fail(`unknown format version ${major}.${minor}`);
  const wide = major >= 2;
  if (head.length < (wide ? 12 : 10)) fail("truncated before the header length");
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const headerLength = wide ? dv.getUint32(8, true) : dv.getUint16(8, true);
  const headerStart = wide ? 12 : 10;
  if (headerLength > MAX_HEADER) fail(`header of ${headerLength} bytes is too long`);
  if (headerStart + headerLength > source.size) fail("header runs past the end of the file", 8);
  const raw = source.read(headerStart, headerLength);
  let text: string;
  try {
    text = new TextDecoder(major === 3 ? "utf-8" : "latin1", { fatal: true }).decode(raw);
  } catch {
    fail("header is not valid text", headerStart);
  }
  const literal = parsePyLiteral(text);
  if (typeof literal !== "object" || literal === null || literal.kind !== "dict")
    fail("header is not a dict");
  const fields = new Map<string, PyLiteral>();
  for (const [k, v] of literal.entries) {
    if (typeof k !== "string") fail("header key is not a string");
    if (fields.has(k)) fail(`duplicate header key ${k}`);
    fields.set(k, v);
  }
  const keys = [...fields.keys()].sort().join(",");
  if (keys !== "descr,fortran_order,shape")
    fail(`header keys are {${keys}}, not {descr, fortran_order, shape}`);
  const fortran = fields.get("fortran_order");
  if (typeof fortran !== "boolean") fail("fortran_order is not a bool");
  const shape = intTuple(fields.get("shape") as PyLiteral, "shape");
  const descr = fields.get("descr") as PyLiteral;
  const info = dtypeInfo(descr);
  return {
    major,
    minor,
    descr,
    fortranOrder: fortran,
    shape,
    dataOffset: headerStart + headerLength,
    hasObject: info.object,
    itemSize: info.object ? undefined : info.size,
  };
}

function describeDescr(d: PyLiteral): string {
  return typeof d === "string" ? d : "structured";
}

export const scanNpy: Scanner = async (source, ctx) => {
  let header: NpyHeader;
  try {
    header = parseNpyHeader(source);
  } catch (error) {
    if (!(error instanceof ScanError)) throw error;
    return makeNode({
      path: ctx.path,
      format: "numpy",
      size: source.size,
      findings: [
        finding("NUMPY_MALFORMED", "unscannable", `Invalid .npy header: ${error.message}`),
      ],
    });
  }
  const summary = {
    version: `${header.major}.${header.minor}`,
    dtype: describeDescr(header.descr),
    shape: header.shape,
    object: header.hasObject,
  };
  const findings: Finding[] = [];
  const members: ScanNode[] = [];
  const data = sliceSource(source, header.dataOffset, source.size - header.dataOffset);
  if (header.hasObject) {
    // numpy.load(allow_pickle=True) unpickles the data of an object array: scan it as a pickle.
    members.push(await scanAsPickle(ctx, data, `${ctx.path}:object-data`));
  } else {
    const count = header.shape.reduce((a, b) => a * b, 1);
    const expected = count * (header.itemSize ?? 0);
    if (data.size < expected) {
      findings.push(
        finding(
          "NUMPY_MALFORMED",
          "suspicious",
          "The data is shorter than dtype × shape; numpy would refuse the file.",
          {
            expected,
            actual: data.size,
          },
        ),
      );
    } else if (data.size > expected) {
      findings.push(
        finding(
          "NUMPY_MALFORMED",
          "suspicious",
          "Bytes follow the array data that numpy never reads.",
          {
            expected,
            actual: data.size,
          },
        ),
      );
    }
  }
  return makeNode({
    path: ctx.path,
    format: "numpy",
    size: source.size,
    findings,
    members,
    summary,
  });
};
