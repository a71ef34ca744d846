/**
 * Local files for `modelvet scan`: expand the user's paths into files, and open each as a
 * ByteSource. Symbolic links are followed only while they stay inside the tree the user named.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  type Stats,
} from "node:fs";
import { join, relative, sep } from "node:path";
import { InputError } from "../core/errors.js";
import type { ByteSource } from "../scan/source.js";

export type WalkEntry =
  | { kind: "file"; path: string; absolute: string }
  | { kind: "outside-link"; path: string; target: string }
  | { kind: "special"; path: string; what: string };

function isInside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !rel.startsWith(sep));
}

function describeSpecial(stat: Stats): string {
  if (stat.isFIFO()) return "a named pipe";
  if (stat.isSocket()) return "a socket";
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
  return "not a regular file";
}

/** Expands paths into files, depth first, sorted by name for stable reports. */
export function walkPaths(paths: readonly string[]): WalkEntry[] {
  const out: WalkEntry[] = [];
  for (const given of paths) {
    let root: string;
    try {
      root = realpathSync(given);
    } catch (error) {
      throw new InputError("INPUT_NOT_FOUND", `No such file or folder: ${given}`, { cause: error });
    }
    walkOne(given, root, root, out, new Set());
  }
  return out;
}

function walkOne(display: string, real: string, root: string, out: WalkEntry[], seen: Set<string>) {
  const stat = lstatSync(real);
  if (stat.isDirectory()) {
    if (seen.has(real)) return;
    seen.add(real);
    let names: string[];
    try {
      names = readdirSync(real).sort();
    } catch (error) {
      throw new InputError("INPUT_UNREADABLE", `Cannot read folder ${display}`, { cause: error });
    }
    for (const name of names) walkChild(join(display, name), join(real, name), root, out, seen);
    return;
  }
  if (stat.isFile()) {
    out.push({ kind: "file", path: display, absolute: real });
    return;
  }
  out.push({ kind: "special", path: display, what: describeSpecial(stat) });
}

function walkChild(
  display: string,
  path: string,
  root: string,
  out: WalkEntry[],
  seen: Set<string>,
) {
  const stat = lstatSync(path);
  if (!stat.isSymbolicLink()) {
    walkOne(display, path, root, out, seen);
    return;
  }
  let target: string;
  try {
    target = realpathSync(path);
  } catch {
    out.push({ kind: "special", path: display, what: "a broken symbolic link" });
    return;
  }
  if (!isInside(root, target)) {
    out.push({ kind: "outside-link", path: display, target });
    return;
  }
  walkOne(display, target, root, out, seen);
}

/**
 * A file-backed ByteSource. Call `close` when done. Every caller passes a resolved path (a real
 * path from walkPaths, or a verified blob), so the last component is opened with O_NOFOLLOW (a
 * link swapped in since is refused, never followed) and O_NONBLOCK (a FIFO swapped in does not
 * hang the open), and it must be a regular file.
 */
export function openFileSource(path: string): ByteSource & { close(): void } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    throw new InputError("INPUT_UNREADABLE", `Cannot open ${path}`, { cause: error });
  }
  const stat = fstatSync(fd);
  if (!stat.isFile()) {
    closeSync(fd);
    throw new InputError("INPUT_UNREADABLE", `Cannot open ${path}: ${describeSpecial(stat)}`);
  }
  const size = stat.size;
  return {
    size,
    read(offset, length) {
      const start = Math.min(Math.max(0, offset), size);
      const want = Math.min(size - start, Math.max(0, length));
      const buffer = Buffer.allocUnsafe(want);
      let done = 0;
      while (done < want) {
        const n = readSync(fd, buffer, done, want - done, start + done);
        if (n === 0) break;
        done += n;
      }
      return done === want ? buffer : buffer.subarray(0, done);
    },
    close() {
      closeSync(fd);
    },
  };
}
