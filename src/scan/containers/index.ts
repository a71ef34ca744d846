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

/**
 * 7z is not opened. The readers on npm are a WebAssembly build of 7-Zip (loads its own runtime and
 * extracts whole archives into an in-memory file system, without an output cap) and little-used
 * pure-JS readers; none fits a pure, bounded scanner yet. Fail closed and say so (C8).
 */
export const scan7z = unsupported(
  "modelvet does not open 7z archives (no bounded, side-effect-free 7z reader is wired in), so the files inside were not scanned; extract the archive and scan its files",
);
export { scanTar } from "./tar.js";
export { scanTorchLegacy } from "./torch-legacy.js";
