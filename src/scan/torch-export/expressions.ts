/**
 * The grammars of the text torch.export writes into a program and later evaluates: symbolic
 * shape expressions (read by `sympy.sympify`, which runs Python) and shape guards (compiled into
 * a Python function). Text outside them is a finding, never evaluated here.
 */

/** Symbolic expressions as torch writes them: symbols, integers, arithmetic, sympy helpers. */
const EXPR_TOKEN =
  /\s+|\d+(?:\.\d+)?(?:e[-+]?\d+)?|'[a-z]{1,4}\d{1,9}'|[A-Za-z_][A-Za-z0-9_]*|\*\*|\/\/|[<>=!]=|[-+*/%(),<>&|~=]/gy;
/\s+|\d+(?:\.\d+)?(?:e[-+]?\d+)?|[A-Za-z_][A-Za-z0-9_]*|\*\*|\/\/|[<>=!]=|[-+*/%(),<>&|~]/gy;
const EXPR_NAMES = new Set([
  // sympy's srepr form, which torch 2.x writes: Mul(Integer(2), Symbol('s0', positive=True, …))
  "Symbol",
  "Integer",
  "Rational",
  "Float",
  "Mul",
  "Add",
  "Pow",
  "Mod",
  "StrictGreaterThan",
  "StrictLessThan",
  "GreaterThan",
  "LessThan",
  "Equality",
  "Unequality",
  "BooleanTrue",
  "BooleanFalse",
  "Infinity",
  "NegativeInfinity",
  "IntInfinity",
  "NegativeIntInfinity",
  "positive",
  "negative",
  "nonnegative",
  "nonpositive",
  "integer",
  "real",
  "finite",
  "zero",
  "nonzero",
  "even",
  "odd",
  "FloorDiv",
  "ModularIndexing",
  "Where",
  "PythonMod",
  "CleanDiv",
  "CeilToInt",
  "FloorToInt",
  "IntTrueDiv",
  "FloatTrueDiv",
  "ToFloat",
  "TruncToInt",
  "TruncToFloat",
  "RoundToInt",
  "RoundDecimal",
  "LShift",
  "RShift",
  "PowByNatural",
  "FloatPow",
  "OpaqueUnaryFn_sqrt",
  "Identity",
  "IsNonOverlappingAndDenseIndicator",
  "Max",
  "Min",
  "Abs",
  "Eq",
  "Ne",
  "Lt",
  "Le",
  "Gt",
  "Ge",
  "And",
  "Or",
  "Not",
  "floor",
  "ceiling",
  "sqrt",
  "oo",
  "zoo",
  "nan",
  "True",
  "False",
  "true",
  "false",
]);
/** Symbol names torch creates (s0, u3, zuf0, …). */
const SYMBOL = /^[a-z]{1,4}\d{1,9}$/;

/** Guards as torch writes them: comparisons on L['x'].size()[0] and the like. */
const GUARD_TOKEN =
  /\s+|\d+|'[A-Za-z0-9_]{0,128}'|[A-Za-z_][A-Za-z0-9_]*|\*\*|\/\/|[<>=!]=|[-+*/%()[\],.<>]/gy;
const GUARD_NAMES = new Set([
  "L",
  "size",
  "stride",
  "storage_offset",
  "numel",
  "dim",
  "and",
  "or",
  "not",
  "True",
  "False",
  "None",
]);

function fitsGrammar(text: string, tokens: RegExp, names: (word: string) => boolean): boolean {
  if (text.length > 4096) return false;
  tokens.lastIndex = 0;
  while (tokens.lastIndex < text.length) {
    const at = tokens.lastIndex;
    const m = tokens.exec(text);
    if (m === null || m.index !== at) return false;
    const word = m[0];
    if (/^[A-Za-z_]/.test(word) && !names(word)) return false;
  }
  return true;
}

export function isSymbolicExpression(text: string): boolean {
  return fitsGrammar(text, EXPR_TOKEN, (w) => EXPR_NAMES.has(w) || SYMBOL.test(w));
}

export function isGuard(text: string): boolean {
  return fitsGrammar(text, GUARD_TOKEN, (w) => GUARD_NAMES.has(w));
}
