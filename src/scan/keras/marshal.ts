/**
 * A small, read-only walker over Python `marshal` data, enough to describe the bytecode a Keras
 * Lambda layer carries: which Python layout it is, and which names and string constants it uses
 * (`os`, `system`, `__import__` …). Nothing is ever executed or evaluated; every read is bounded.
 *
 * Keras stores `base64(marshal.dumps(fn.__code__))`. marshal has no header, so the Python version
 * is inferred from the code-object layout (the number of leading int32 fields and the fields that
 * follow). A blob that starts with a .pyc header has its magic number reported too. The decoder
 * itself is marshal-reader.ts.
 */
import {
  DEFAULT_MARSHAL_LIMITS,
  LAYOUTS,
  MarshalError,
  type MarshalLimits,
  MarshalReader,
} from "./marshal-reader.js";

export { DEFAULT_MARSHAL_LIMITS, type MarshalLimits } from "./marshal-reader.js";

export interface BytecodeSummary {
  /** Size of the marshalled data. */
  bytes: number;
  /** Code-object layout that decoded the whole blob, e.g. `python>=3.11`. */
  layout?: string;
  /** A .pyc magic number in front of the data, with the Python version it stands for. */
  pycMagic?: { value: number; python?: string };
  /** `co_name` of every code object (the lambda and anything nested). */
  codeNames: string[];
  /** Global and attribute names the code uses (`co_names`) and its string constants. */
  strings: string[];
  /** Entries of `strings` that are known code-execution, import, file or network names. */
  dangerous: string[];
  /** Why the blob could not be decoded as marshal data (strings are then a printable-run scan). */
  error?: string;
}

/** Names whose presence in lambda bytecode is worth calling out (they never make it safer). */
const DANGEROUS_NAMES = new Set([
  "os",
  "posix",
  "nt",
  "subprocess",
  "system",
  "popen",
  "Popen",
  "spawn",
  "spawnl",
  "spawnv",
  "execl",
  "execv",
  "execve",
  "execvp",
  "fork",
  "pty",
  "exec",
  "eval",
  "compile",
  "__import__",
  "importlib",
  "import_module",
  "builtins",
  "__builtins__",
  "getattr",
  "globals",
  "open",
  "socket",
  "urllib",
  "request",
  "requests",
  "urlopen",
  "http",
  "pickle",
  "marshal",
  "loads",
  "ctypes",
  "shutil",
  "rmtree",
  "check_output",
  "check_call",
  "webbrowser",
  "sys",
]);

/** CPython .pyc magic numbers (the 16-bit value before `\r\n`) of released versions. */
const PYC_MAGIC: ReadonlyArray<readonly [number, number, string]> = [
  [3360, 3379, "3.6"],
  [3390, 3394, "3.7"],
  [3400, 3413, "3.8"],
  [3420, 3425, "3.9"],
  [3430, 3439, "3.10"],
  [3450, 3495, "3.11"],
  [3500, 3531, "3.12"],
  [3550, 3571, "3.13"],
  [3600, 3627, "3.14"],
];

function printableRuns(bytes: Uint8Array, limit: number): string[] {
  const out = new Set<string>();
  let run = "";
  for (const b of bytes) {
    if (b >= 0x20 && b < 0x7f) {
      run += String.fromCharCode(b);
      continue;
    }
    if (run.length >= 2 && out.size < limit) out.add(run.slice(0, 120));
    run = "";
  }
  if (run.length >= 2 && out.size < limit) out.add(run.slice(0, 120));
  return [...out];
}

function dangerousIn(strings: Iterable<string>): string[] {
  const hits = new Set<string>();
  for (const s of strings) {
    for (const word of s.split(/[^A-Za-z0-9_]+/)) if (DANGEROUS_NAMES.has(word)) hits.add(word);
  }
  return [...hits].sort();
}

function pycMagic(bytes: Uint8Array): { value: number; python?: string } | undefined {
  if (bytes.length < 16 || bytes[2] !== 0x0d || bytes[3] !== 0x0a) return undefined;
  const value = bytes[0]! | (bytes[1]! << 8);
  const match = PYC_MAGIC.find(([lo, hi]) => value >= lo && value <= hi);
  return match ? { value, python: match[2] } : { value };
}

/** Describes marshalled Python code without running it. Never throws. */
export function inspectMarshalledCode(
  bytes: Uint8Array,
  limits: MarshalLimits = DEFAULT_MARSHAL_LIMITS,
): BytecodeSummary {
  const magic = pycMagic(bytes);
  const body = magic ? bytes.subarray(16) : bytes;
  let lastError = "empty";
  for (const layout of LAYOUTS) {
    const reader = new MarshalReader(body, layout, limits);
    try {
      const top = reader.read();
      if (top.kind !== "code") {
        lastError = "the data is not a code object";
        break;
      }
      if (!reader.atEnd) {
        lastError = "trailing bytes after the code object";
        continue;
      }
      const strings = [...reader.strings];
      return {
        bytes: bytes.length,
        layout: layout.name,
        ...(magic ? { pycMagic: magic } : {}),
        codeNames: [...reader.codeNames],
        strings,
        dangerous: dangerousIn(strings),
      };
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
      if (error instanceof MarshalError && /too many|too deeply/.test(error.message)) break;
    }
  }
  const strings = printableRuns(body, limits.maxStrings);
  return {
    bytes: bytes.length,
    ...(magic ? { pycMagic: magic } : {}),
    codeNames: [],
    strings,
    dangerous: dangerousIn(strings),
    error: lastError,
  };
}

/**
 * Decodes Keras's base64 (Python's `codecs.encode(…, "base64")`: 76-column lines). Returns
 * undefined for anything that is not clean base64 once line breaks and spaces are removed.
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  const compact = text.replace(/[\r\n\t ]/g, "");
  if (compact.length === 0 || compact.length % 4 !== 0) return undefined;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  return new Uint8Array(Buffer.from(compact, "base64"));
}
