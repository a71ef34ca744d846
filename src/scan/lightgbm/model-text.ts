/**
 * LightGBM's text model format (what `Booster.save_model` writes as `model.txt`, and what a pickled
 * `lightgbm.basic.Booster` keeps as its `_handle` string), checked structurally before anything
 * lets LightGBM's native parser (`LGBM_BoosterLoadModelFromString`) read it.
 *
 * The native parser trusts the text: `tree_sizes` are byte offsets it jumps to with no bounds
 * check, a tree header line without `=` is scanned for one past the end of the buffer, and child
 * indices, split features and categorical thresholds are used as array indices at prediction time.
 * So this parser is strict and bounded: the header is `key=value` lines from a known set, every
 * `Tree=N` section holds known keys with numeric arrays of exactly the lengths `num_leaves` and
 * `num_cat` imply, children form one tree rooted at node 0, split features stay below
 * `max_feature_idx`, `tree_sizes` match the sections byte for byte, and the trailing sections
 * (feature importances, parameters, pandas categories) have their fixed shapes. Anything else is a
 * problem, reported with the line it is on. Pure: text in, a result out.
 */

/** Largest model text checked (a pickled Booster's string or a model.txt). */
export const MAX_LIGHTGBM_TEXT = 256 * 1024 * 1024;
/** LightGBM's own limit on num_leaves (config.h: num_leaves <= 131072). */
const MAX_LEAVES = 131_072;
const MAX_TREES = 1_000_000;
const MAX_FEATURES = 10_000_000;
const MAX_CLASSES = 100_000;
/** The native tree reader reads at most this many lines of one tree (tree.cpp max_num_line). */
const MAX_TREE_LINES = 22;

const HEADER_KEYS = new Set([
  "version",
  "num_class",
  "num_tree_per_iteration",
  "label_index",
  "max_feature_idx",
  "objective",
  "average_output",
  "feature_names",
  "monotone_constraints",
  "feature_infos",
  "tree_sizes",
]);
const TREE_KEYS = new Set([
  "num_leaves",
  "num_cat",
  "split_feature",
  "split_gain",
  "threshold",
  "decision_type",
  "left_child",
  "right_child",
  "leaf_value",
  "leaf_weight",
  "leaf_count",
  "leaf_parent",
  "internal_value",
  "internal_weight",
  "internal_count",
  "cat_boundaries",
  "cat_threshold",
  "is_linear",
  "shrinkage",
  "leaf_const",
  "num_features",
  "leaf_features",
  "leaf_coeff",
]);
/** Objective names LightGBM writes (ObjectiveFunction::ToString), and "custom". */
const OBJECTIVES = new Set([
  "regression",
  "regression_l1",
  "huber",
  "fair",
  "poisson",
  "quantile",
  "mape",
  "gamma",
  "tweedie",
  "binary",
  "multiclass",
  "multiclassova",
  "cross_entropy",
  "cross_entropy_lambda",
  "xentropy",
  "xentlambda",
  "lambdarank",
  "rank_xendcg",
  "custom",
]);

const INT = /^[-+]?\d{1,10}$/;
const NUMBER = /^[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|inf|infinity|nan)$/i;
const VERSION = /^v\d{1,3}$/;
const OBJECTIVE_PARAM = /^[a-z_]{1,64}:[-+0-9.eE]{1,32}$/;
const PARAMETER_LINE = /^\[[a-z_0-9]{1,64}: [^\]\n]*\]$/;

export interface LightgbmModel {
  version: string;
  trees: number;
  maxFeatureIdx: number;
}

export type LightgbmCheck = { ok: true; model: LightgbmModel } | { ok: false; problem: string };

class Problem extends Error {}

function fail(line: number, message: string): never {
  throw new Problem(`line ${line + 1}: ${message}`);
}

function intValue(text: string, line: number, what: string, min: number, max: number): number {
  if (!INT.test(text)) fail(line, `${what} is not an integer`);
  const n = Number(text);
  if (n < min || n > max) fail(line, `${what} ${n} is outside [${min}, ${max}]`);
  return n;
}

/** Array values: space-separated (linear trees pad per-leaf lists with extra spaces). */
function tokens(text: string): string[] {
  return text.split(" ").filter((t) => t !== "");
}

function ints(text: string, line: number, what: string, count: number): number[] {
  const parts = tokens(text);
  if (parts.length !== count) fail(line, `${what} has ${parts.length} values, expected ${count}`);
  return parts.map((p) => {
    if (!INT.test(p)) fail(line, `${what} holds a value that is not an integer`);
    return Number(p);
  });
}

function numbers(text: string, line: number, what: string, count: number): void {
  const parts = tokens(text);
  if (parts.length !== count) fail(line, `${what} has ${parts.length} values, expected ${count}`);
  for (const p of parts) if (!NUMBER.test(p)) fail(line, `${what} holds a value that is no number`);
}

interface Lines {
  text: string;
  /** Start offset of each line (lines split on "\n"; a trailing "\r" is dropped). */
  starts: number[];
  lines: string[];
}

function splitLines(text: string): Lines {
  const lines = text.split("\n");
  const starts: number[] = [];
  let at = 0;
  for (let i = 0; i < lines.length; i++) {
    starts.push(at);
    at += (lines[i] as string).length + 1;
    const l = lines[i] as string;
    if (l.endsWith("\r")) lines[i] = l.slice(0, -1);
  }
  return { text, starts, lines };
}

interface Header {
  maxFeatureIdx: number;
  version: string;
  treeSizes: number[] | undefined;
  treeLine: number;
}

function parseHeader(l: Lines): Header {
  if (l.lines[0] !== "tree") fail(0, 'the model does not start with the line "tree"');
  const kv = new Map<string, { value: string; line: number }>();
  let i = 1;
  for (; i < l.lines.length; i++) {
    const line = l.lines[i] as string;
    if (line === "") continue;
    if (line.startsWith("Tree=")) break;
    const eq = line.indexOf("=");
    const key = eq < 0 ? line : line.slice(0, eq);
    if (!HEADER_KEYS.has(key)) fail(i, `unknown header line "${key.slice(0, 40)}"`);
    if (kv.has(key)) fail(i, `header key ${key} appears twice`);
    const value = eq < 0 ? "" : line.slice(eq + 1);
    if (eq < 0 && key !== "average_output") fail(i, `header key ${key} has no value`);
    if (value.includes("=") && key !== "feature_names" && key !== "monotone_constraints")
      fail(i, `header line ${key} holds more than one "="`);
    kv.set(key, { value, line: i });
  }
  const need = (key: string) => {
    const v = kv.get(key);
    if (v === undefined) fail(i, `the header has no ${key}`);
    return v;
  };
  const version = kv.get("version");
  if (version !== undefined && !VERSION.test(version.value))
    fail(version.line, "version is not vN");
  const numClass = need("num_class");
  intValue(numClass.value, numClass.line, "num_class", 1, MAX_CLASSES);
  const perIteration = kv.get("num_tree_per_iteration");
  if (perIteration !== undefined)
    intValue(perIteration.value, perIteration.line, "num_tree_per_iteration", 1, MAX_CLASSES);
  const label = need("label_index");
  intValue(label.value, label.line, "label_index", 0, MAX_FEATURES);
  const maxIdx = need("max_feature_idx");
  const maxFeatureIdx = intValue(maxIdx.value, maxIdx.line, "max_feature_idx", 0, MAX_FEATURES);
  const features = maxFeatureIdx + 1;
  const names = need("feature_names");
  if (names.value.split(" ").length !== features)
    fail(names.line, `feature_names does not name ${features} features`);
  const infos = need("feature_infos");
  if (infos.value.split(" ").length !== features)
    fail(infos.line, `feature_infos does not describe ${features} features`);
  const mono = kv.get("monotone_constraints");
  if (mono !== undefined)
    for (const c of ints(mono.value, mono.line, "monotone_constraints", features))
      if (c < -1 || c > 1) fail(mono.line, "a monotone constraint is not -1, 0 or 1");
  const objective = kv.get("objective");
  if (objective !== undefined) {
    const [name, ...params] = objective.value.split(" ");
    if (!OBJECTIVES.has(name ?? "")) fail(objective.line, "the objective is not one LightGBM has");
    for (const p of params)
      if (!OBJECTIVE_PARAM.test(p))
        fail(objective.line, "an objective parameter is not name:number");
  }
  const sizes = kv.get("tree_sizes");
  let treeSizes: number[] | undefined;
  if (sizes !== undefined) {
    const parts = sizes.value === "" ? [] : sizes.value.split(" ");
    if (parts.length > MAX_TREES) fail(sizes.line, "tree_sizes lists too many trees");
    treeSizes = parts.map((p) => intValue(p, sizes.line, "a tree size", 1, l.text.length));
  }
  return { maxFeatureIdx, version: version?.value ?? "", treeSizes, treeLine: i };
}

/** Checks one `Tree=N` section's key=value lines (from `first` up to `end`, exclusive). */
function checkTree(l: Lines, first: number, end: number, maxFeatureIdx: number): void {
  const kv = new Map<string, { value: string; line: number }>();
  let last = first;
  for (let i = first; i < end; i++) {
    const line = l.lines[i] as string;
    if (line === "") {
      // Blank lines end the section; nothing but blank lines may follow inside it.
      for (let j = i; j < end; j++)
        if (l.lines[j] !== "") fail(j, "a tree section goes on after a blank line");
      break;
    }
    last = i;
    if (kv.size >= MAX_TREE_LINES) fail(i, `a tree has more than ${MAX_TREE_LINES} lines`);
    const eq = line.indexOf("=");
    if (eq < 0) fail(i, 'a tree line has no "="');
    const key = line.slice(0, eq);
    if (!TREE_KEYS.has(key)) fail(i, `unknown tree key "${key.slice(0, 40)}"`);
    if (kv.has(key)) fail(i, `tree key ${key} appears twice`);
    kv.set(key, { value: line.slice(eq + 1), line: i });
  }
  const need = (key: string) => {
    const v = kv.get(key);
    if (v === undefined) fail(last, `the tree has no ${key}`);
    return v;
  };
  const leavesKv = need("num_leaves");
  const leaves = intValue(leavesKv.value, leavesKv.line, "num_leaves", 1, MAX_LEAVES);
  const catKv = need("num_cat");
  const numCat = intValue(catKv.value, catKv.line, "num_cat", 0, Math.max(0, leaves - 1));
  const leafValue = need("leaf_value");
  numbers(leafValue.value, leafValue.line, "leaf_value", leaves);
  const shrinkage = kv.get("shrinkage");
  if (shrinkage !== undefined) numbers(shrinkage.value, shrinkage.line, "shrinkage", 1);
  const linearKv = kv.get("is_linear");
  const linear =
    linearKv === undefined ? 0 : intValue(linearKv.value, linearKv.line, "is_linear", 0, 1);
  // The native reader stops here for a one-leaf tree that is not linear (the rest is not read).
  if (leaves === 1 && linear === 0) {
    if (numCat > 0) fail(catKv.line, "a single-leaf tree with categorical sets");
    return;
  }
  const internal = leaves - 1;
  const optional = (key: string, count: number, integer: boolean) => {
    const v = kv.get(key);
    if (v === undefined) return undefined;
    if (integer) return ints(v.value, v.line, key, count);
    numbers(v.value, v.line, key, count);
    return undefined;
  };
  optional("leaf_weight", leaves, false);
  optional("leaf_count", leaves, true);
  optional("leaf_parent", leaves, true);
  if (internal > 0) {
    const left = ints(need("left_child").value, need("left_child").line, "left_child", internal);
    const right = ints(
      need("right_child").value,
      need("right_child").line,
      "right_child",
      internal,
    );
    const features = ints(
      need("split_feature").value,
      need("split_feature").line,
      "split_feature",
      internal,
    );
    for (const f of features)
      if (f < 0 || f > maxFeatureIdx)
        fail(need("split_feature").line, `split_feature ${f} is not a feature of the model`);
    numbers(need("threshold").value, need("threshold").line, "threshold", internal);
    optional("split_gain", internal, false);
    optional("internal_value", internal, false);
    optional("internal_weight", internal, false);
    optional("internal_count", internal, true);
    const decisions = optional("decision_type", internal, true) ?? [];
    checkChildren(left, right, leaves, need("left_child").line);
    const categorical = decisions.filter((d) => (d & 1) === 1).length;
    for (const d of decisions)
      if (d < 0 || d > 15 || d >> 2 > 2)
        fail(
          kv.get("decision_type")?.line ?? last,
          `decision_type ${d} is not one LightGBM writes`,
        );
    if (categorical > 0) {
      if (numCat === 0) fail(last, "a categorical split in a tree with num_cat=0");
      const thresholds = tokens(need("threshold").value);
      decisions.forEach((d, node) => {
        if ((d & 1) === 0) return;
        const t = thresholds[node] as string;
        if (!/^\d{1,10}$/.test(t) || Number(t) >= numCat)
          fail(need("threshold").line, "a categorical threshold is not a category set index");
      });
    }
  } else if (numCat > 0) fail(catKv.line, "a single-leaf tree with categorical sets");
  if (numCat > 0) {
    const b = need("cat_boundaries");
    const bounds = ints(b.value, b.line, "cat_boundaries", numCat + 1);
    if (bounds[0] !== 0) fail(b.line, "cat_boundaries does not start at 0");
    for (let k = 1; k < bounds.length; k++)
      if ((bounds[k] as number) < (bounds[k - 1] as number))
        fail(b.line, "cat_boundaries is not increasing");
    const t = need("cat_threshold");
    const words = ints(t.value, t.line, "cat_threshold", bounds[numCat] as number);
    for (const w of words)
      if (w < 0 || w > 0xffffffff) fail(t.line, "a cat_threshold word is no uint32");
  } else if (kv.has("cat_boundaries") || kv.has("cat_threshold"))
    fail(catKv.line, "categorical sets in a tree with num_cat=0");
  if (linear === 1) {
    optional("leaf_const", leaves, false);
    const nf = kv.get("num_features");
    const counts = nf === undefined ? [] : ints(nf.value, nf.line, "num_features", leaves);
    let total = 0;
    for (const c of counts) {
      if (c < 0 || c > maxFeatureIdx + 1) fail(nf?.line ?? last, "num_features is out of range");
      total += c;
    }
    const lf = kv.get("leaf_features");
    if (lf !== undefined)
      for (const f of ints(lf.value, lf.line, "leaf_features", total))
        if (f < 0 || f > maxFeatureIdx)
          fail(lf.line, "leaf_features names no feature of the model");
    const lc = kv.get("leaf_coeff");
    if (lc !== undefined) numbers(lc.value, lc.line, "leaf_coeff", total);
    if (total > 0 && (lf === undefined || lc === undefined))
      fail(last, "a linear tree lists feature counts without features and coefficients");
  } else if (
    kv.has("leaf_const") ||
    kv.has("num_features") ||
    kv.has("leaf_features") ||
    kv.has("leaf_coeff")
  )
    fail(last, "linear-tree fields in a tree that is not linear");
}

/** Children form one binary tree rooted at node 0: each node and leaf has exactly one parent. */
function checkChildren(left: number[], right: number[], leaves: number, line: number): void {
  const internal = leaves - 1;
  const nodeParents = new Uint8Array(internal);
  const leafParents = new Uint8Array(leaves);
  for (const c of [...left, ...right]) {
    if (c >= 0) {
      if (c >= internal || c === 0) fail(line, `child ${c} is not a node of the tree`);
      if (nodeParents[c] === 1) fail(line, `node ${c} has two parents`);
      nodeParents[c] = 1;
    } else {
      const leaf = -c - 1;
      if (leaf >= leaves) fail(line, `child ${c} is not a leaf of the tree`);
      if (leafParents[leaf] === 1) fail(line, `leaf ${leaf} has two parents`);
      leafParents[leaf] = 1;
    }
  }
  // Every node reachable from the root (no detached cycle).
  const seen = new Uint8Array(internal);
  const stack = [0];
  let reached = 0;
  while (stack.length > 0) {
    const n = stack.pop() as number;
    if (seen[n]) fail(line, "the children form a cycle");
    seen[n] = 1;
    reached++;
    for (const c of [left[n] as number, right[n] as number]) if (c > 0) stack.push(c);
  }
  if (reached !== internal) fail(line, "some nodes are not reachable from the root");
}

function checkTrailer(l: Lines, from: number): void {
  let i = from;
  const skipBlank = () => {
    while (i < l.lines.length && l.lines[i] === "") i++;
  };
  skipBlank();
  if (l.lines[i] === "feature_importances:") {
    i++;
    for (; i < l.lines.length && l.lines[i] !== ""; i++)
      if (!/^[^=\n]{1,1024}=\d{1,12}$/.test(l.lines[i] as string))
        fail(i, "a feature importance line is not name=count");
    skipBlank();
  }
  if (l.lines[i] === "parameters:") {
    i++;
    for (; i < l.lines.length && l.lines[i] !== "end of parameters"; i++)
      if (l.lines[i] !== "" && !PARAMETER_LINE.test(l.lines[i] as string))
        fail(i, "a parameter line is not [name: value]");
    if (i >= l.lines.length) fail(i - 1, 'the parameters have no "end of parameters"');
    i++;
    skipBlank();
  }
  // The Python package appends the pandas categories as one JSON line.
  if (l.lines[i]?.startsWith("pandas_categorical:")) {
    const json = (l.lines[i] as string).slice("pandas_categorical:".length);
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      fail(i, "pandas_categorical is not JSON");
    }
    if (value !== null && !Array.isArray(value)) fail(i, "pandas_categorical is not a list");
    i++;
    skipBlank();
  }
  if (i < l.lines.length)
    fail(i, `unexpected line after the trees: "${(l.lines[i] as string).slice(0, 40)}"`);
}

/** Checks LightGBM model text; never throws. */
export function checkLightgbmModelText(text: string): LightgbmCheck {
  if (text.length > MAX_LIGHTGBM_TEXT)
    return { ok: false, problem: `the model text is larger than ${MAX_LIGHTGBM_TEXT} bytes` };
  if (text.includes("\0")) return { ok: false, problem: "the model text holds a NUL byte" };
  try {
    const l = splitLines(text);
    const header = parseHeader(l);
    // Tree sections: "Tree=N" lines, in order, up to "end of trees".
    const starts: number[] = [];
    let end = -1;
    for (let i = header.treeLine; i < l.lines.length; i++) {
      const line = l.lines[i] as string;
      if (line === "end of trees") {
        end = i;
        break;
      }
      if (line.startsWith("Tree=")) {
        if (line !== `Tree=${starts.length}`) fail(i, `expected "Tree=${starts.length}"`);
        if (starts.length >= MAX_TREES) fail(i, "too many trees");
        starts.push(i);
      } else if (starts.length === 0 && line !== "") fail(i, "a line before the first tree");
    }
    if (end < 0) fail(l.lines.length - 1, 'the model has no "end of trees" line');
    for (let t = 0; t < starts.length; t++) {
      const first = (starts[t] as number) + 1;
      const stop = t + 1 < starts.length ? (starts[t + 1] as number) : end;
      checkTree(l, first, stop, header.maxFeatureIdx);
    }
    if (header.treeSizes !== undefined) {
      // The native loader jumps to these byte offsets without a bounds check: they must match.
      if (header.treeSizes.length !== starts.length)
        fail(
          header.treeLine,
          `tree_sizes lists ${header.treeSizes.length} trees, the model has ${starts.length}`,
        );
      for (let t = 0; t < starts.length; t++) {
        const from = l.starts[starts[t] as number] as number;
        const to = l.starts[t + 1 < starts.length ? (starts[t + 1] as number) : end] as number;
        if (header.treeSizes[t] !== to - from)
          fail(
            starts[t] as number,
            `tree_sizes says ${header.treeSizes[t]} bytes for tree ${t}, it has ${to - from}`,
          );
      }
    }
    checkTrailer(l, end + 1);
    return {
      ok: true,
      model: { version: header.version, trees: starts.length, maxFeatureIdx: header.maxFeatureIdx },
    };
  } catch (e) {
    if (e instanceof Problem) return { ok: false, problem: e.message };
    if (e instanceof RangeError)
      return { ok: false, problem: "the model text is too large to check" };
    throw e;
  }
}

/** Does this text start like a LightGBM model (for recognising a model.txt)? */
export function looksLikeLightgbmModel(head: string): boolean {
  return /^tree\r?\n(?:version=v\d+\r?\n)?num_class=\d/.test(head);
}
