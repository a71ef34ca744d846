/** LightGBM model text in LightGBM's layout, for the model-text and pickled-Booster tests. */

/** A small model in LightGBM's layout: one header, the given trees, the trailer. */
export function model(trees: string[], header: Record<string, string> = {}): string {
  const blocks = trees.map((t, i) => `Tree=${i}\n${t}\n\n\n`);
  const h = {
    version: "v4",
    num_class: "1",
    num_tree_per_iteration: "1",
    label_index: "0",
    max_feature_idx: "1",
    objective: "binary sigmoid:1",
    feature_names: "a b",
    feature_infos: "[0:1] [0:1]",
    tree_sizes: blocks.map((b) => String(b.length)).join(" "),
    ...header,
  };
  const lines = Object.entries(h)
    .filter(([, v]) => v !== "<none>")
    .map(([k, v]) => (v === "<bare>" ? k : `${k}=${v}`));
  return `tree\n${lines.join("\n")}\n\n${blocks.join("")}end of trees\n\nfeature_importances:\na=1\n\nparameters:\n[boosting: gbdt]\n[machines: ]\n\nend of parameters\n\npandas_categorical:null\n`;
}

export const TREE = [
  "num_leaves=3",
  "num_cat=0",
  "split_feature=0 1",
  "split_gain=1.5 0.5",
  "threshold=0.5 1.0000000180025095e-35",
  "decision_type=2 2",
  "left_child=1 -1",
  "right_child=-2 -3",
  "leaf_value=0.1 -0.2 0.3",
  "leaf_weight=1 2 3",
  "leaf_count=1 2 3",
  "internal_value=0 0",
  "internal_weight=3 2",
  "internal_count=6 5",
  "is_linear=0",
  "shrinkage=0.1",
].join("\n");
