/** The Keras area's public surface, for other scanners (zip/`.keras`, JSON) and io/. */
export {
  type KerasConfigResult,
  type KerasConfigSummary,
  scanKerasConfig,
  walkKerasConfig,
} from "./config.js";
export { findHdf5Signature, scanHdf5, scanHdf5Source, scanHiddenHdf5 } from "./hdf5.js";
export { type BytecodeSummary, decodeBase64, inspectMarshalledCode } from "./marshal.js";
export { emptyKerasPolicy, type KerasPolicy, kerasKey } from "./policy.js";
