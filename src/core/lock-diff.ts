/**
 * What changed between two lockfiles, for `modelvet lock --update` and for `ci` messages.
 * Pure and ordered: models by id, files by path.
 */
import type { LockedFile, Lockfile } from "./lockfile.js";

export type LockChange =
  | { kind: "model-added"; model: string; revision: string }
  | { kind: "model-removed"; model: string; revision: string }
  | { kind: "revision-changed"; model: string; from: string; to: string; ref: string }
  | { kind: "file-added"; model: string; path: string; file: LockedFile }
  | { kind: "file-removed"; model: string; path: string; file: LockedFile }
  | { kind: "file-changed"; model: string; path: string; from: LockedFile; to: LockedFile };

function sameFile(a: LockedFile, b: LockedFile): boolean {
  return (
    a.size === b.size &&
    a.gitOid === b.gitOid &&
    a.lfs === b.lfs &&
    a.sha256 === b.sha256 &&
    a.scan.verdict === b.scan.verdict &&
    a.scan.format === b.scan.format
  );
}

export function diffLockfiles(before: Lockfile, after: Lockfile): LockChange[] {
  const changes: LockChange[] = [];
  const ids = [...new Set([...Object.keys(before.models), ...Object.keys(after.models)])].sort();
  for (const model of ids) {
    const a = before.models[model];
    const b = after.models[model];
    if (a === undefined && b !== undefined) {
      changes.push({ kind: "model-added", model, revision: b.revision });
      continue;
    }
    if (b === undefined && a !== undefined) {
      changes.push({ kind: "model-removed", model, revision: a.revision });
      continue;
    }
    if (a === undefined || b === undefined) continue;
    if (a.revision !== b.revision) {
      changes.push({
        kind: "revision-changed",
        model,
        from: a.revision,
        to: b.revision,
        ref: b.ref,
      });
    }
    const paths = [...new Set([...Object.keys(a.files), ...Object.keys(b.files)])].sort();
    for (const path of paths) {
      const fa = a.files[path];
      const fb = b.files[path];
      if (fa === undefined && fb !== undefined)
        changes.push({ kind: "file-added", model, path, file: fb });
      else if (fb === undefined && fa !== undefined)
        changes.push({ kind: "file-removed", model, path, file: fa });
      else if (fa !== undefined && fb !== undefined && !sameFile(fa, fb))
        changes.push({ kind: "file-changed", model, path, from: fa, to: fb });
    }
  }
  return changes;
}

const short = (s: string) => s.slice(0, 12);

/** One line per change, readable in a terminal or a pull-request comment. */
export function describeLockChange(c: LockChange): string {
  switch (c.kind) {
    case "model-added":
      return `+ ${c.model} @ ${short(c.revision)}`;
    case "model-removed":
      return `- ${c.model} @ ${short(c.revision)}`;
    case "revision-changed":
      return `~ ${c.model}: ${c.ref} moved ${short(c.from)} -> ${short(c.to)}`;
    case "file-added":
      return `  + ${c.model}/${c.path} (${c.file.size} bytes, ${c.file.scan.verdict})`;
    case "file-removed":
      return `  - ${c.model}/${c.path}`;
    case "file-changed": {
      const parts: string[] = [];
      if (c.from.size !== c.to.size) parts.push(`size ${c.from.size} -> ${c.to.size}`);
      if (c.from.sha256 !== c.to.sha256)
        parts.push(`sha256 ${short(c.from.sha256)} -> ${short(c.to.sha256)}`);
      if (c.from.scan.verdict !== c.to.scan.verdict)
        parts.push(`verdict ${c.from.scan.verdict} -> ${c.to.scan.verdict}`);
      if (parts.length === 0) parts.push("metadata changed");
      return `  ~ ${c.model}/${c.path}: ${parts.join(", ")}`;
    }
  }
}
