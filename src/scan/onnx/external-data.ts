/**
 * ONNX external data (threat O1): a tensor may say its bytes live in another file, named by the
 * `location` entry relative to the model's folder. A loader that follows `../../etc/passwd`, an
 * absolute path or a Windows drive path reads (and may echo back into outputs) any file the process
 * can see. ONNX Runtime also knows a magic location, `*\/_ORT_MEM_ADDR_/*`, that makes `offset` a
 * raw memory address inside the process: never legitimate in a file from elsewhere.
 */

const ORT_MEMORY_ADDRESS = "*/_ORT_MEM_ADDR_/*";

/** Why `location` escapes the model folder, or undefined when it stays inside. */
export function checkExternalLocation(location: string): string | undefined {
  if (location === ORT_MEMORY_ADDRESS) return "it tells ONNX Runtime to read raw process memory";
  if (location.length === 0) return "the location is empty";
  if (location.includes("\u0000")) return "the location contains a NUL byte";
  if (location.includes("\\"))
    return "the location contains a backslash (a Windows path separator)";
  if (location.startsWith("/")) return "the location is an absolute path";
  if (/^[A-Za-z]:/.test(location)) return "the location starts with a drive letter";
  if (location.startsWith("~")) return "the location starts with '~'";
  const segments = location.split("/");
  if (segments.includes("..")) return "the location climbs out of the model folder with '..'";
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(location)) return "the location looks like a URL";
  return undefined;
}
