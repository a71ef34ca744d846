/**
 * TensorFlow op names that matter for threat T1, and the verdict each imposes. Op names are facts
 * from TensorFlow's op registry. The rule of thumb:
 *
 * - `malicious`: the op runs Python from the loading process or writes attacker-chosen bytes to an
 *   attacker-chosen path. No serving graph needs either. (PyFunc's callable is looked up by token
 *   in the running process, so it often fails elsewhere, but a model carrying it was built to run
 *   Python at inference time.)
 * - `suspicious`: the op reads or lists files, opens a debugger/summary writer that writes to a URL,
 *   or calls out over the network. Some models use these legitimately (an input pipeline baked
 *   into the graph), so a human decides; it still blocks by default.
 * - `checkpoint`: save/restore ops. Every TF1 SavedModel carries a saver subgraph (save/SaveV2,
 *   save/RestoreV2, …) and TF2 ones restore variables the same way; flagging them would block
 *   every SavedModel. They are listed in the summary instead. Weakness, stated: a SaveV2 wired to an
 *   attacker-chosen filename inside a serving signature would need data-flow analysis to catch.
 *
 * There is no `LoadLibrary` graph op: custom kernels are loaded from Python (`tf.load_op_library`),
 * outside the file, so an unregistered op name simply fails to load.
 */
import type { Verdict } from "../../core/verdict.js";

export interface OpRule {
  kind: "code" | "file-write" | "file-read" | "network" | "debug" | "checkpoint";
  verdict: Verdict;
  why: string;
}

const RUNS_PYTHON: OpRule = {
  kind: "code",
  verdict: "malicious",
  why: "runs a Python function inside the loading process",
};
const WRITES_FILES: OpRule = {
  kind: "file-write",
  verdict: "malicious",
  why: "writes bytes to a file path when the graph runs",
};
const READS_FILES: OpRule = {
  kind: "file-read",
  verdict: "suspicious",
  why: "reads or lists files on the machine running the model",
};
const WRITES_DEBUG: OpRule = {
  kind: "debug",
  verdict: "suspicious",
  why: "writes debug or summary data to a file or URL",
};
const NETWORK: OpRule = {
  kind: "network",
  verdict: "suspicious",
  why: "makes network calls when the graph runs",
};
const CHECKPOINT: OpRule = {
  kind: "checkpoint",
  verdict: "clean",
  why: "saves or restores a checkpoint (normal in a SavedModel)",
};

const RULES: ReadonlyMap<string, OpRule> = new Map<string, OpRule>([
  ...["PyFunc", "PyFuncStateless", "EagerPyFunc"].map((op) => [op, RUNS_PYTHON] as const),
  ...["WriteFile"].map((op) => [op, WRITES_FILES] as const),
  ...[
    "ReadFile",
    "MatchingFiles",
    "ImmutableConst",
    "WholeFileReader",
    "WholeFileReaderV2",
    "TextLineReader",
    "TextLineReaderV2",
    "TFRecordReader",
    "TFRecordReaderV2",
    "FixedLengthRecordReader",
    "FixedLengthRecordReaderV2",
    "LMDBReader",
    "TextLineDataset",
    "TFRecordDataset",
    "TFRecordDatasetV2",
    "FixedLengthRecordDataset",
    "FixedLengthRecordDatasetV2",
    "CSVDataset",
    "CSVDatasetV2",
    "ExperimentalCSVDataset",
    "SqlDataset",
    "ExperimentalSqlDataset",
    "LMDBDataset",
    "ExperimentalLMDBDataset",
  ].map((op) => [op, READS_FILES] as const),
  ...[
    "DebugIdentity",
    "DebugIdentityV2",
    "DebugIdentityV3",
    "DebugNanCount",
    "DebugNumericSummary",
    "DebugNumericSummaryV2",
    "CreateSummaryFileWriter",
    "CreateSummaryDbWriter",
  ].map((op) => [op, WRITES_DEBUG] as const),
  ...["Rpc", "TryRpc", "RpcClient", "RpcCall"].map((op) => [op, NETWORK] as const),
  ...[
    "Save",
    "SaveV2",
    "SaveSlices",
    "Restore",
    "RestoreV2",
    "RestoreSlice",
    "MergeV2Checkpoints",
    "ShardedFilename",
    "ShardedFilespec",
  ].map((op) => [op, CHECKPOINT] as const),
]);

export function classifyTensorflowOp(op: string): OpRule | undefined {
  return RULES.get(op);
}
