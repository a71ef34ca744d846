/**
 * Which scanner reads which format. One line per format; each area owns its line.
 */
import type { Format, Scanner } from "./context.js";
import { scanPickleFile } from "./pickle/scan.js";
import { scanProtobuf } from "./protobuf/scan.js";
import { scanSafetensors } from "./safetensors/scan.js";
import { scanInert, unsupported } from "./unsupported.js";

export const SCANNERS: Record<Format, Scanner> = {
  empty: scanInert,
  text: scanInert,
  json: scanInert,
  pickle: scanPickleFile,
  "pytorch-legacy": unsupported("the legacy PyTorch format is not supported yet"),
  zip: unsupported("zip archives are not supported yet"),
  tar: unsupported("tar archives are not supported yet"),
  gzip: unsupported("gzip streams are not supported yet"),
  bzip2: unsupported("bzip2 streams are not supported yet"),
  xz: unsupported("xz streams are not supported yet"),
  zlib: unsupported("zlib streams are not supported yet"),
  "7z": unsupported("7z archives cannot be read"),
  numpy: unsupported("numpy files are not supported yet"),
  safetensors: scanSafetensors,
  gguf: unsupported("GGUF files are not supported yet"),
  hdf5: unsupported("HDF5/Keras files are not supported yet"),
  protobuf: scanProtobuf,
  python: unsupported("Python source analysis is not supported yet"),
  unknown: unsupported("the bytes match no format modelvet can read"),
};
