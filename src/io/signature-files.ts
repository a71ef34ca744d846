/**
 * File work for signature verification: read `model.sig` and key files, list the files of a model
 * folder (relative paths and sizes, as model_signing sees them), hash files and byte ranges.
 * Symbolic links to files are followed (a huggingface_hub snapshot is made of them): what is hashed
 * is what a loader reads. A link to a folder is refused rather than walked.
 */
import { createHash } from "node:crypto";
import { createReadStream, type Dirent } from "node:fs";
import { lstat, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { InputError } from "../core/errors.js";
import type { HashJob, PresentFile } from "../core/signature/manifest-check.js";

/** A bundle is a few KiB; a signature with a million entries is ~100 MiB. */
export const MAX_SIGNATURE_BYTES = 128 * 1024 * 1024;

export async function readSmallFile(path: string, what: string, limit: number): Promise<Buffer> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    throw new InputError("INPUT_NOT_FOUND", `Cannot read ${what} ${path}`, { cause: error });
  }
  if (size > limit) {
    throw new InputError("INPUT_UNREADABLE", `${what} ${path} is larger than ${limit} bytes`);
  }
  try {
    return await readFile(path);
  } catch (error) {
    throw new InputError("INPUT_UNREADABLE", `Cannot read ${what} ${path}`, { cause: error });
  }
}

/** The model: a folder (every file under it) or a single file (named "."). */
export async function listModelFiles(root: string): Promise<PresentFile[]> {
  let top: Awaited<ReturnType<typeof stat>>;
  try {
    top = await stat(root);
  } catch (error) {
    throw new InputError("INPUT_NOT_FOUND", `Cannot read the model ${root}`, { cause: error });
  }
  if (top.isFile()) return [{ path: ".", size: top.size }];
  const out: PresentFile[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      throw new InputError("INPUT_UNREADABLE", `Cannot list ${dir}`, { cause: error });
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(dir, entry.name);
      const rel = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) {
        await walk(full, rel);
        continue;
      }
      const info = entry.isSymbolicLink()
        ? await stat(full).catch(() => undefined)
        : await lstat(full);
      if (info === undefined) {
        throw new InputError("INPUT_UNREADABLE", `${rel} is a broken symbolic link`);
      }
      if (info.isDirectory()) {
        throw new InputError(
          "INPUT_UNREADABLE",
          `${rel} is a symbolic link to a folder: verify the folder it points to instead`,
        );
      }
      if (!info.isFile()) {
        throw new InputError("INPUT_UNREADABLE", `${rel} is not a regular file`);
      }
      out.push({ path: rel, size: info.size });
    }
  };
  await walk(root, "");
  return out;
}

/** SHA-256 of a whole file or of [start, end). */
export function hashJob(root: string, job: HashJob): Promise<string> {
  const file = job.path === "." ? root : join(root, ...job.path.split("/"));
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    const stream = job.range
      ? createReadStream(file, { start: job.range.start, end: job.range.end - 1 })
      : createReadStream(file);
    stream.on("data", (chunk) => hash.update(chunk));
    stream.on("error", (error) =>
      reject(new InputError("INPUT_UNREADABLE", `Cannot read ${file}`, { cause: error })),
    );
    stream.on("end", () => resolve(hash.digest("hex")));
  });
}
