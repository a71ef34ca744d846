/**
 * Which scanner reads which format. One line per format; each area owns its line.
 */
import { scanPythonFile } from "./code/python.js";
import * as containers from "./containers/index.js";
import type { Format, Scanner } from "./context.js";
import { scanGguf } from "./gguf/scan.js";
import { scanJson } from "./json/index.js";
import { scanHdf5 } from "./keras/index.js";
import { scanLightgbmText } from "./lightgbm/scan.js";
import { scanPickleFile } from "./pickle/scan.js";
import { scanProtobuf } from "./protobuf/scan.js";
import { scanSafetensors } from "./safetensors/scan.js";
import { scanText } from "./text/index.js";
import { scanTfCheckpointIndex } from "./tfcheckpoint/scan.js";
import { scanTflite } from "./tflite/scan.js";
import { scanInert, unsupported } from "./unsupported.js";

export const SCANNERS: Record<Format, Scanner> = {
  empty: scanInert,
  text: scanText,
  json: scanJson,
  pickle: scanPickleFile,
  "pytorch-legacy": containers.scanTorchLegacy,
  zip: containers.scanZip,
  tar: containers.scanTar,
  gzip: containers.scanGzip,
  bzip2: containers.scanBzip2,
  xz: containers.scanXz,
  zlib: containers.scanZlib,
  "7z": containers.scan7z,
  numpy: containers.scanNpy,
  safetensors: scanSafetensors,
  gguf: scanGguf,
  hdf5: scanHdf5,
  protobuf: scanProtobuf,
  python: scanPythonFile,
  tflite: scanTflite,
  "tf-checkpoint-index": scanTfCheckpointIndex,
  lightgbm: scanLightgbmText,
  unknown: unsupported("the bytes match no format modelvet can read"),
};
