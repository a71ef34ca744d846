/**
 * What a call evaluates to, for value folding: dynamic imports and reflection (`__import__`,
 * `importlib.import_module`, `getattr`, `vars`, `sys.modules.get`) return the names they reach,
 * decoders return decoded (and tainted) strings, `chr`, path builders and string methods fold.
 * Any other call's result carries the taint of what went in.
 */
import type { PyNode } from "./parser.js";
import type { ValueResolver } from "./resolve.js";
import { isListed } from "./rules.js";
import type { Scope } from "./scope.js";
import { decodeBase64, decodeHex } from "./strings.js";
import { argumentNodes, field } from "./syntax.js";
import {
  mergeTaint,
  nameValue,
  type StrValue,
  str,
  type Taint,
  UNKNOWN,
  unknownFrom,
  type Value,
  withTaint,
} from "./values.js";

/** Calls that import a module named by their first argument. */
export const DYNAMIC_IMPORTS = new Set([
  "builtins.__import__",
  "importlib.import_module",
  "importlib.__import__",
]);

/** One call being folded: its callee's name and lazy access to its arguments' values. */
interface FoldedCall {
  resolver: ValueResolver;
  name: string;
  obfuscated: boolean;
  positional: PyNode[];
  keywords: Map<string, PyNode>;
  /** The value of positional argument `i` (or of `keyword`), UNKNOWN when absent. */
  arg(i: number, keyword?: string): Value;
  /** The values of every positional argument. */
  positionalValues(): Value[];
}

export function resolveCallValue(
  resolver: ValueResolver,
  node: PyNode,
  scope: Scope,
  depth: number,
): Value {
  const fn = field(node, "function");
  if (!fn) return UNKNOWN;
  const callee = resolver.resolve(fn, scope, depth);
  const { positional, keywords } = argumentNodes(node);
  const valueAt = (n: PyNode) => resolver.resolve(n, scope, depth);
  if (callee.kind === "str" && fn.type === "attribute") {
    const method = field(fn, "attribute")?.text ?? "";
    return stringMethod(callee, method, positional, valueAt);
  }
  if (callee.kind !== "name") return unknownFrom([callee, ...positional.map(valueAt)]);
  const call: FoldedCall = {
    resolver,
    name: callee.name,
    obfuscated: callee.obfuscated,
    positional,
    keywords,
    arg: (i, keyword) => {
      const n = positional[i] ?? (keyword ? keywords.get(keyword) : undefined);
      return n ? valueAt(n) : UNKNOWN;
    },
    positionalValues: () => positional.map(valueAt),
  };
  return (
    reflectionValue(call) ??
    decodedValue(call) ??
    builtinValue(call) ??
    pathValue(call) ??
    environmentValue(call) ??
    // Any other call: its result carries what its arguments carry (decoded bytes stay decoded).
    unknownFrom([callee, ...[...positional, ...keywords.values()].map(valueAt)])
  );
}

/** `__import__`, `import_module`, `getattr`, `vars`, `globals`, `sys.modules.get`. */
function reflectionValue(call: FoldedCall): Value | undefined {
  const { name } = call;
  if (DYNAMIC_IMPORTS.has(name)) {
    const target = call.arg(0, "name");
    if (target.kind !== "str" || target.partial) return UNKNOWN;
    // __import__("os.path") returns the top package; import_module returns the leaf.
    const mod = name === "builtins.__import__" ? (target.value.split(".")[0] ?? "") : target.value;
    return nameValue(mod, true, target.computed || call.obfuscated);
  }
  if (name === "builtins.getattr") {
    const obj = call.arg(0);
    const key = call.arg(1);
    if (key.kind === "str" && !key.partial)
      return call.resolver.attributeOf(obj, key.value, key.computed);
    return unknownFrom([obj, key]);
  }
  if (name === "builtins.vars" && call.positional[0]) {
    const target = call.arg(0);
    if (target.kind === "name") return { ...target, module: true };
  }
  if (name === "builtins.globals" || name === "builtins.vars" || name === "builtins.locals")
    return nameValue("builtins", true);
  if (name === "sys.modules.get" || name === "sys.modules.__getitem__") {
    const key = call.arg(0);
    if (key.kind === "str" && !key.partial) return nameValue(key.value, true, key.computed);
  }
  return undefined;
}

/** base64/hex decoders: the decoded text when the input is known, tainted either way. */
function decodedValue(call: FoldedCall): Value | undefined {
  const { name } = call;
  if (!isListed(call.resolver.rules.decoders, name)) return undefined;
  const input = call.arg(0);
  let decoded: string | undefined;
  if (input.kind === "str" && !input.partial) {
    if (/b64decode|a2b_base64|decodebytes|decodestring/.test(name))
      decoded = decodeBase64(input.value);
    else if (/fromhex|unhexlify|a2b_hex/.test(name)) decoded = decodeHex(input.value);
  }
  const taint: Taint = { decoded: name };
  return decoded !== undefined
    ? str(decoded, true, false, taint)
    : withTaint({ kind: "unknown" }, taint);
}

/** `chr(n)`, and `str`/`bytes`/`bytearray`, which pass their argument through. */
function builtinValue(call: FoldedCall): Value | undefined {
  const { name } = call;
  if (name === "builtins.chr") {
    const n = call.positional[0];
    if (n?.type === "integer") {
      const code = Number(n.text);
      if (Number.isInteger(code) && code >= 0 && code <= 0x10ffff)
        return str(String.fromCodePoint(code), true);
    }
    return str("{?}", true, true);
  }
  if (name === "builtins.str" || name === "builtins.bytes" || name === "builtins.bytearray")
    return call.arg(0);
  return undefined;
}

/** `expanduser`, `Path(...)`, `Path.home()`, `os.path.join(...)`: the path they build. */
function pathValue(call: FoldedCall): Value | undefined {
  const { name } = call;
  if (
    name === "os.path.expanduser" ||
    name === "os.path.expandvars" ||
    /^pathlib\.(Pure)?(Posix|Windows)?Path$/.test(name)
  ) {
    const first = call.arg(0);
    return first.kind === "str" ? str(first.value, true, first.partial) : str("{?}", true, true);
  }
  if (/^pathlib\.(Posix)?Path\.home$/.test(name)) return str("~", true);
  if (name !== "os.path.join") return undefined;
  let out = "";
  let partial = false;
  for (const p of call.positionalValues()) {
    const piece = p.kind === "str" ? p.value : "{?}";
    partial ||= p.kind !== "str" || p.partial;
    out = piece.startsWith("/") || out === "" ? piece : `${out.replace(/\/$/, "")}/${piece}`;
  }
  return str(out, true, partial);
}

/** `os.getenv("HF_TOKEN")` and the other environment lookups of the rules. */
function environmentValue(call: FoldedCall): Value | undefined {
  if (!call.resolver.secrets.envLookups.has(call.name)) return undefined;
  const key = call.arg(0, "key");
  return (key.kind === "str" && call.resolver.environmentValue(key.value)) || UNKNOWN;
}

/** A method called on a string (or path) value: join, replace, lower, joinpath… */
function stringMethod(
  self: StrValue,
  method: string,
  positional: PyNode[],
  valueAt: (n: PyNode) => Value,
): Value {
  const args = positional.map(valueAt);
  switch (method) {
    case "join":
      return joinValue(self, positional[0], args, valueAt);
    case "decode":
    case "encode":
    case "strip":
    case "expanduser":
    case "resolve":
    case "absolute":
      return str(self.value, self.computed, self.partial, self.taint);
    case "lower":
      return str(self.value.toLowerCase(), true, self.partial, self.taint);
    case "upper":
      return str(self.value.toUpperCase(), true, self.partial, self.taint);
    case "replace": {
      const [a, b] = args;
      if (a?.kind === "str" && b?.kind === "str" && !a.partial && !b.partial)
        return str(self.value.split(a.value).join(b.value), true, self.partial, self.taint);
      return str(self.value, true, true, self.taint);
    }
    case "joinpath": {
      const rest = args.map((a) => (a.kind === "str" ? a.value : "{?}")).join("/");
      return str(
        `${self.value.replace(/\/$/, "")}/${rest}`,
        true,
        self.partial || args.some((a) => a.kind !== "str"),
      );
    }
    default:
      return str(self.value, true, true, mergeTaint([self, ...args]));
  }
}

/** `"".join([...])` over a literal list or tuple. */
function joinValue(
  self: StrValue,
  list: PyNode | undefined,
  args: Value[],
  valueAt: (n: PyNode) => Value,
): Value {
  if (!list || (list.type !== "list" && list.type !== "tuple"))
    return str("{?}", true, true, mergeTaint([self, ...args]));
  const items = list.children.filter((c) => c.named).map(valueAt);
  let out = "";
  let partial = self.partial;
  items.forEach((item, i) => {
    if (i > 0) out += self.value;
    if (item.kind === "str") {
      out += item.value;
      partial ||= item.partial;
    } else {
      out += "{?}";
      partial = true;
    }
  });
  return str(out, true, partial, mergeTaint([self, ...items]));
}
