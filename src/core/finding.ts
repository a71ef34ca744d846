/**
 * A finding means "decided: not OK" (or, at severity info, "worth knowing"). Findings are data,
 * collected across all files and models so one run reports every problem.
 *
 * Every code lives in this one union. Add new codes here, grouped by area, with a comment.
 */
import type { Verdict } from "./verdict.js";

export type FindingCode =
  // --- generic
  | "UNSCANNABLE" // the file or member could not be read to the end: fail closed
  | "UNKNOWN_FORMAT" // bytes match no format we can read
  | "BUDGET_EXCEEDED" // a scan budget (bytes, depth, members, opcodes…) ran out
  | "FORMAT_MISMATCH" // the name promises one format, the bytes are another (e.g. pickle named .safetensors)
  // --- pickle
  | "PICKLE_DANGEROUS_GLOBAL" // import of a known code-execution/file/network callable
  | "PICKLE_UNKNOWN_GLOBAL" // import not on the allowlist
  | "PICKLE_DANGEROUS_CALL" // a call whose callable is dangerous
  | "PICKLE_UNSAFE_NAME" // dotted or dunder qualname, or module/name that is not a plain string
  | "PICKLE_EXTENSION" // EXT1/2/4: callable from the copyreg registry, no name visible
  | "PICKLE_NESTED" // a bytes/str constant that is itself a pickle (P13)
  | "PICKLE_MALFORMED" // invalid opcode, truncated stream, stack/memo misuse
  | "PICKLE_TRAILING_DATA" // bytes after the last STOP that are not another pickle
  | "PICKLE_PERSISTENT_ID" // PERSID/BINPERSID use outside a known container
  | "PICKLE_READER_DISAGREEMENT" // two real unpicklers read the same bytes differently (frames…)
  // --- containers
  | "ZIP_NAME_MISMATCH"
  | "ZIP_FLAGS"
  | "ZIP_CRC_MISMATCH"
  | "ZIP_UNSUPPORTED_COMPRESSION"
  | "ZIP_OVERLAP"
  | "ZIP_MALFORMED"
  | "ARCHIVE_LINK"
  | "ARCHIVE_PATH_ESCAPE"
  | "ARCHIVE_ODD_MEMBER"
  | "ARCHIVE_BOMB"
  | "NUMPY_MALFORMED"
  | "TORCH_MALFORMED"
  | "TORCHSCRIPT_CODE"
  // --- safetensors, gguf, onnx, savedmodel
  | "SAFETENSORS_INVALID"
  | "GGUF_INVALID"
  | "ONNX_INVALID"
  | "ONNX_CUSTOM_DOMAIN"
  | "ONNX_EXTERNAL_DATA_ESCAPE"
  | "SAVEDMODEL_DANGEROUS_OP"
  | "TFLITE_CUSTOM_OP" // a TFLite model names a custom or Flex op (runs a registered kernel / full TF op)
  | "LIGHTGBM_MODEL" // info: LightGBM model text passed the structural check (native parser reads it)
  | "LIGHTGBM_INVALID" // LightGBM model text (model.txt or a pickled Booster's) fails the structural check
  | "TORCH_EXPORT_OPERATOR" // a torch.export program calls an operator outside aten/prims/standard namespaces
  | "TORCH_EXPORT_INVALID" // a torch.export archive's serialized program cannot be read as one
  | "SAVEDMODEL_INVALID"
  // --- code, keras, templates
  | "REMOTE_CODE"
  | "REMOTE_CODE_MISSING"
  | "REMOTE_CODE_CROSS_REPO"
  | "PYTHON_DANGEROUS"
  | "PYTHON_SUSPICIOUS"
  | "PYTHON_UNPARSEABLE"
  | "KERAS_LAMBDA"
  | "KERAS_UNKNOWN_MODULE"
  | "KERAS_INVALID"
  | "TEMPLATE_DANGEROUS"
  | "TEMPLATE_UNPARSEABLE"
  | "JSON_INVALID" // not JSON a Python loader accepts: no config is loaded from it; scanned as text (info)
  // --- hub, policy, download, lockfile
  | "POLICY_DENIED"
  | "HUB_SECURITY_STATUS"
  | "FORMAT_RISKY" // inspect: the name says a format that can run code when loaded (pickle, Keras, npy, TF graph); bytes not read
  | "DIGEST_MISMATCH"
  | "SIZE_MISMATCH"
  | "PATH_ESCAPE"
  | "LOCK_OUT_OF_SYNC" // modelvet.json and models.lock disagree
  | "LOCK_MISMATCH"
  | "LOCK_MISSING_ENTRY"
  | "LOCK_EXTRA_ENTRY"
  | "REVISION_GONE"
  | "CACHE_MISSING"
  | "CACHE_EXTRA"
  | "CACHE_CORRUPT"
  | "CACHE_UNVERIFIED" // a snapshot file with nothing to check its bytes against (a copy, offline, no lock)
  // --- audit (modelvet audit: what became known after a model was locked)
  | "ADVISORY_MATCH" // an advisory names the locked model, commit or file (by path or digest)
  | "REPO_DISABLED" // the Hub has disabled the repo
  | "REPO_UNAVAILABLE" // the repo is gone, renamed or made private (not found for this token)
  | "REPO_GATED" // the repo is now gated
  | "TAG_MOVED" // the locked tag points at another commit now
  // --- signatures (OpenSSF Model Signing, model.sig)
  | "SIGNATURE_MISSING" // policy requires a signature and there is none
  | "SIGNATURE_INVALID" // unreadable bundle or payload, or signature/chain/log/timestamp did not verify
  | "SIGNATURE_SIGNER_MISMATCH" // verified, but signed by someone other than expected
  | "SIGNATURE_FILE_MISMATCH" // a signed file (or shard) has other bytes than the signature lists
  | "SIGNATURE_FILE_MISSING" // the signature lists a file that is not there
  | "SIGNATURE_FILE_UNLISTED"; // a file is there that the signature does not cover

export type Severity = "info" | "low" | "medium" | "high" | "critical";

export interface Finding {
  code: FindingCode;
  /** The verdict this finding imposes on its file. `clean` for informational findings. */
  verdict: Verdict;
  severity: Severity;
  /** One sentence a user understands. */
  message: string;
  /** Byte offset in the file or member, when there is one. */
  offset?: number;
  /** For findings in source text: 1-based line and column. */
  line?: number;
  column?: number;
  /** The import involved, as (module, qualname). */
  global?: { module: string; name: string };
  /** The call involved: its callable, as the unpickler would see it. */
  call?: { opcode: string; callable: string };
  expected?: string | number;
  actual?: string | number;
  /** Free-form extra facts (kept small; shown in JSON only). */
  evidence?: Record<string, unknown>;
}

export const SEVERITY_FOR_VERDICT: Record<Verdict, Severity> = {
  clean: "info",
  suspicious: "medium",
  unscannable: "high",
  malicious: "critical",
};

/** Build a finding with the default severity for its verdict. */
export function finding(
  code: FindingCode,
  verdict: Verdict,
  message: string,
  extra: Omit<Partial<Finding>, "code" | "verdict" | "message"> = {},
): Finding {
  return { code, verdict, severity: SEVERITY_FOR_VERDICT[verdict], message, ...extra };
}
