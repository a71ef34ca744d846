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
import { fail, ints, intValue, type Lines, Problem, splitLines } from "./text-lines.js";
import { checkTree } from "./tree-section.js";

/** Largest model text checked (a pickled Booster's string or a model.txt). */
export const MAX_LIGHTGBM_TEXT = 256 * 1024 * 1024;
const MAX_TREES = 1_000_000;
const MAX_FEATURES = 10_000_000;
const MAX_CLASSES = 100_000;

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

const VERSION = /^v\d{1,3}$/;
const OBJECTIVE_PARAM = /^[a-z_]{1,64}:[-+0-9.eE]{1,32}$/;
const PARAMETER_LINE = /^\[[a-z_0-9]{1,64}: [^\]\n]*\]$/;

export interface LightgbmModel {
  version: string;
  trees: number;
  maxFeatureIdx: number;
}

export type LightgbmCheck = { ok: true; model: LightgbmModel } | { ok: false; problem: string };

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
