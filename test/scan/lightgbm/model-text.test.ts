/**
 * LightGBM's text model format (src/scan/lightgbm/model-text.ts): what LightGBM writes passes; a
 * catalogue of hostile texts, each aimed at something the native parser trusts, is refused with a
 * reason, never a crash or a pass.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { checkLightgbmModelText } from "../../../src/scan/lightgbm/model-text.js";
import { REPO_ROOT } from "../../helpers/run-cli.js";
import { model, TREE } from "./helpers.js";

const REAL = join(REPO_ROOT, "fixtures", "realworld", "current");
const real = (p: string) => readFileSync(join(REAL, p), "utf8");

const tree = (replace: Record<string, string | null>) =>
  TREE.split("\n")
    .map((line) => {
      const key = line.slice(0, line.indexOf("="));
      if (!(key in replace)) return line;
      const v = replace[key];
      return v === null ? undefined : `${key}=${v}`;
    })
    .filter((l) => l !== undefined)
    .join("\n");

const STUMP =
  "num_leaves=1\nnum_cat=0\nsplit_feature=\nleft_child=\nleaf_value=0.5\nleaf_weight=\nis_linear=0\nshrinkage=1";

const CATEGORICAL = tree({
  num_cat: "1",
  decision_type: "1 2",
  threshold: "0 0.5",
  cat_boundaries: null,
}).concat("\ncat_boundaries=0 1\ncat_threshold=10");

describe("LightGBM model text: what LightGBM writes", () => {
  for (const file of ["lightgbm_models/model.txt"]) {
    it(`passes ${file} (written by lightgbm 4.7)`, () => {
      const r = checkLightgbmModelText(real(file));
      assert.ok(r.ok, JSON.stringify(r));
    });
  }

  it("passes the hand-built model in LightGBM's layout (numerical and categorical splits)", () => {
    for (const text of [
      model([TREE]),
      model([TREE, CATEGORICAL]),
      model([TREE], { tree_sizes: "<none>" }),
      model([TREE], { monotone_constraints: "0 -1" }),
      model([tree({ decision_type: null })]), // LightGBM reads a missing decision_type as 0s
    ]) {
      const r = checkLightgbmModelText(text);
      assert.ok(r.ok, JSON.stringify(r));
    }
  });

  it("passes a one-leaf tree whose other fields are empty (LightGBM stops reading there)", () => {
    const r = checkLightgbmModelText(model([STUMP]));
    assert.ok(r.ok, JSON.stringify(r));
  });
});

describe("LightGBM model text: hostile input", () => {
  const base = model([TREE, TREE]);
  const cases: [string, string, RegExp][] = [
    ["empty", "", /start with the line "tree"/],
    ["not a model", "hello world\n", /start with the line "tree"/],
    ["truncated before end of trees", base.slice(0, base.indexOf("end of trees")), /end of trees/],
    ["truncated inside a tree", base.slice(0, base.indexOf("leaf_value")), /end of trees/],
    ["NUL byte", base.replace("num_cat=0", "num_cat=0\0"), /NUL/],
    [
      "tree_sizes lies (the native loader jumps there unchecked)",
      model([TREE, TREE]).replace(/tree_sizes=(\d+) /, (_, n) => `tree_sizes=${Number(n) + 40} `),
      /tree_sizes says/,
    ],
    ["tree_sizes lists more trees", model([TREE], { tree_sizes: "400 400" }), /tree_sizes lists 2/],
    ["tree_sizes past the end", model([TREE], { tree_sizes: "99999999999" }), /tree size|integer/],
    [
      "num_tree_per_iteration 0 (division by zero)",
      model([TREE], { num_tree_per_iteration: "0" }),
      /num_tree_per_iteration/,
    ],
    ["feature_names count differs", model([TREE], { feature_names: "a" }), /feature_names/],
    ["feature_infos count differs", model([TREE], { feature_infos: "x" }), /feature_infos/],
    ["unknown header key", model([TREE], { parser_config: "x" }), /unknown header line/],
    ["header line without =", model([TREE], { num_class: "<bare>" }), /has no value/],
    ["header line with two =", model([TREE], { label_index: "0=1" }), /more than one/],
    ["objective LightGBM has not", model([TREE], { objective: "python:os.system" }), /objective/],
    ["no num_class", model([TREE], { num_class: "<none>" }), /no num_class/],
    ["huge max_feature_idx", model([TREE], { max_feature_idx: "99999999999" }), /integer|outside/],
    ["tree numbered out of order", base.replace("Tree=1", "Tree=7"), /expected "Tree=1"/],
    [
      "a tree line without = (the native reader runs past the buffer)",
      model([tree({ num_cat: null }).concat("\nnum_cat")]),
      /no "="/,
    ],
    ["unknown tree key", model([TREE.concat("\nevil=1")]), /unknown tree key/],
    ["tree key twice", model([TREE.concat("\nnum_leaves=3")]), /twice/],
    [
      "more than 22 lines in a tree",
      model([
        TREE.concat(
          "\nleaf_parent=0 0 0\ncat_boundaries=0\ncat_threshold=\nleaf_const=1 1 1\nnum_features=0 0 0\nleaf_features=\nleaf_coeff=",
        ),
      ]),
      /more than 22|categorical|linear/,
    ],
    ["child index past the nodes", model([tree({ left_child: "5 -1" })]), /not a node/],
    ["leaf index past the leaves", model([tree({ right_child: "-9 -3" })]), /not a leaf/],
    [
      "root as a child (cycle)",
      model([tree({ left_child: "1 0", right_child: "-2 -3" })]),
      /not a node|two parents/,
    ],
    ["two parents", model([tree({ left_child: "1 -1", right_child: "-1 -3" })]), /two parents/],
    [
      "split feature past max_feature_idx",
      model([tree({ split_feature: "0 9" })]),
      /split_feature 9/,
    ],
    ["negative split feature", model([tree({ split_feature: "-1 0" })]), /split_feature -1/],
    [
      "array shorter than num_leaves",
      model([tree({ leaf_value: "0.1 0.2" })]),
      /leaf_value has 2 values/,
    ],
    ["array longer than num_leaves - 1", model([tree({ threshold: "1 2 3" })]), /threshold has 3/],
    ["a value that is no number", model([tree({ leaf_value: "0.1 x 0.3" })]), /no number/],
    ["num_leaves over LightGBM's limit", model([tree({ num_leaves: "999999" })]), /num_leaves/],
    [
      "decision_type LightGBM does not write",
      model([tree({ decision_type: "2 99" })]),
      /decision_type 99/,
    ],
    ["categorical split with num_cat=0", model([tree({ decision_type: "1 2" })]), /num_cat=0/],
    [
      "categorical threshold past the sets",
      model([CATEGORICAL.replace("threshold=0 0.5", "threshold=4 0.5")]),
      /category set index/,
    ],
    [
      "cat_boundaries not increasing",
      model([CATEGORICAL.replace("cat_boundaries=0 1", "cat_boundaries=0 -1")]),
      /cat_boundaries|cat_threshold/,
    ],
    [
      "cat_threshold shorter than its boundaries",
      model([CATEGORICAL.replace("cat_boundaries=0 1", "cat_boundaries=0 3")]),
      /cat_threshold has 1/,
    ],
    [
      "linear fields in a tree that is not linear",
      model([TREE.concat("\nnum_features=1 0 0")]),
      /linear-tree fields/,
    ],
    [
      "linear leaf feature past max_feature_idx",
      model([
        tree({ is_linear: "1" }).concat(
          "\nleaf_const=0 0 0\nnum_features=1 0 0\nleaf_features=7\nleaf_coeff=0.5",
        ),
      ]),
      /leaf_features/,
    ],
    [
      "a parser section (custom parser config)",
      base.replace("pandas_categorical:null", "parser:\n{}\nend of parser"),
      /unexpected line/,
    ],
    ["parameters never end", base.slice(0, base.indexOf("end of parameters")), /end of parameters/],
    [
      "a parameter line of another shape",
      base.replace("[boosting: gbdt]", "boosting=gbdt"),
      /parameter line/,
    ],
    [
      "pandas_categorical not JSON",
      base.replace("pandas_categorical:null", "pandas_categorical:{x"),
      /not JSON/,
    ],
    [
      "pandas_categorical an object",
      base.replace("pandas_categorical:null", 'pandas_categorical:{"a":1}'),
      /not a list/,
    ],
    ["text after the trailer", `${base}import os\n`, /unexpected line/],
    [
      "a tree section that goes on after a blank line",
      model([TREE.replace("is_linear=0", "\nis_linear=0")]),
      /goes on after a blank line/,
    ],
    ["a tree without leaf_value", model([tree({ leaf_value: null })]), /no leaf_value/],
    ["is_linear neither 0 nor 1", model([tree({ is_linear: "2" })]), /is_linear 2/],
    [
      "a one-leaf tree with categorical sets",
      model([STUMP.replace("num_cat=0", "num_cat=1")]),
      /num_cat 1/,
    ],
    [
      "cat_boundaries not starting at 0",
      model([CATEGORICAL.replace("cat_boundaries=0 1", "cat_boundaries=1 1")]),
      /does not start at 0/,
    ],
    [
      "a cat_threshold word past 32 bits",
      model([CATEGORICAL.replace("cat_threshold=10", "cat_threshold=9999999999")]),
      /no uint32/,
    ],
    [
      "categorical sets in a tree with num_cat=0",
      model([TREE.concat("\ncat_boundaries=0 1\ncat_threshold=1")]),
      /num_cat=0/,
    ],
    [
      "a linear leaf counting more features than the model has",
      model([
        tree({ is_linear: "1" }).concat(
          "\nleaf_const=0 0 0\nnum_features=9 0 0\nleaf_features=0\nleaf_coeff=0.5",
        ),
      ]),
      /num_features is out of range/,
    ],
    [
      "linear feature counts without features or coefficients",
      model([tree({ is_linear: "1" }).concat("\nleaf_const=0 0 0\nnum_features=1 0 0")]),
      /without features and coefficients/,
    ],
    [
      "one node as both children (two parents)",
      model([tree({ left_child: "1 -1", right_child: "1 -3" })]),
      /node 1 has two parents/,
    ],
    [
      "a header key twice",
      base.replace("num_class=1\n", "num_class=1\nnum_class=1\n"),
      /appears twice/,
    ],
    ["version not vN", model([TREE], { version: "4" }), /version is not vN/],
    [
      "monotone_constraints that are not integers",
      model([TREE], { monotone_constraints: "0 x" }),
      /monotone_constraints/,
    ],
    [
      "an objective parameter that is not name:number",
      model([TREE], { objective: "binary sigmoid:x" }),
      /objective parameter/,
    ],
    ["an empty tree_sizes", model([TREE], { tree_sizes: "" }), /tree_sizes lists 0/],
    ["a feature importance of another shape", base.replace("a=1\n", "a:1\n"), /name=count/],
  ];
  for (const [name, text, why] of cases) {
    it(name, () => {
      const r = checkLightgbmModelText(text);
      assert.equal(r.ok, false, name);
      if (!r.ok) assert.match(r.problem, why);
    });
  }

  it("refuses a deeply repeated tree section quickly and without recursion", () => {
    const deep = model([TREE]).replace("end of trees", `${"Tree=1\n".repeat(50_000)}end of trees`);
    const r = checkLightgbmModelText(deep);
    assert.equal(r.ok, false);
  });
});
