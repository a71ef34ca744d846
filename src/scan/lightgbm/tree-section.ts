/** One `Tree=N` section of LightGBM model text: known keys, exact array lengths, one tree. */
import { fail, ints, intValue, type Lines, numbers, tokens } from "./text-lines.js";

/** LightGBM's own limit on num_leaves (config.h: num_leaves <= 131072). */
const MAX_LEAVES = 131_072;

/** The native tree reader reads at most this many lines of one tree (tree.cpp max_num_line). */
const MAX_TREE_LINES = 22;

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
/** Checks one `Tree=N` section's key=value lines (from `first` up to `end`, exclusive). */
export function checkTree(l: Lines, first: number, end: number, maxFeatureIdx: number): void {
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
export function checkChildren(left: number[], right: number[], leaves: number, line: number): void {
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
