/**
 * Container scanners (zip, PyTorch zip/TorchScript, npy/npz, compression wrappers, tar, legacy
 * PyTorch). The registry imports from here only.
 */
import { unsupported } from "../unsupported.js";
import { compressedScanner } from "./compressed.js";

export { scanNpy } from "./npy.js";
export { scanZip } from "./zip.js";

export const scanGzip = compressedScanner("gzip");
export const scanZlib = compressedScanner("zlib");
export const scanBzip2 = compressedScanner("bzip2");
export const scanXz = compressedScanner("xz");

/** No maintained pure-JavaScript 7z reader exists (only wrappers around a 7-Zip binary). */
export const scan7z = unsupported(
  "no maintained pure-JavaScript 7z reader exists, so its members cannot be seen; extract the archive and scan the files",
);
export { scanTar } from "./tar.js";
export { scanTorchLegacy } from "./torch-legacy.js";
