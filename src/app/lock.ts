/**
 * `modelvet lock`: pin every declared model to a commit with per-file digests and verdicts.
 *
 * Models whose declaration (ref, include, exclude) is unchanged since the last lock keep their
 * pinned commit and are not fetched again, like npm keeps locked versions; `update` moves the
 * named models (or all) forward to what their refs point at now. What changed is pulled,
 * verified and scanned. The new lock is returned, never written here: lock-files.ts writes it,
 * under the project mutex, only when nothing blocks, so a failed run leaves the old lock in place.
 */
import { diffLockfiles, type LockChange } from "../core/lock-diff.js";
import {
  computeManifestDigest,
  LOCKFILE_VERSION,
  type LockedFile,
  type LockedModel,
  type Lockfile,
  lockfileVersionFor,
} from "../core/lockfile.js";
import {
  DEFAULT_REF,
  type DeclaredModel,
  declaredModels,
  type ProjectFile,
} from "../core/project.js";
import type { Verdict } from "../core/verdict.js";
import type { HubClient } from "../io/hub.js";
import { VERSION } from "../version.js";
import { lockedSignatureOf } from "./model-signature.js";
import { type PullEvent, type PulledModel, type PullPolicy, pullModels } from "./pull.js";

export interface LockOptions {
  client: HubClient;
  cacheDir: string;
  project: ProjectFile;
  previous: Lockfile | undefined;
  /** Models to move forward: none, all, or these repo ids. */
  update: "none" | "all" | readonly string[];
  policy: PullPolicy;
  policyDigest: string;
  today: string;
  concurrency?: number;
  onEvent?: (event: PullEvent) => void;
}

export interface LockResult {
  lock: Lockfile;
  /** Models that were resolved and pulled in this run (the others kept their pin). */
  pulled: PulledModel[];
  kept: string[];
  /** True when any pulled model blocks: the lock must not be written. */
  blocked: boolean;
  changes: LockChange[];
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Does the lock entry still describe what the project declares? */
export function entryMatches(model: DeclaredModel, entry: LockedModel | undefined): boolean {
  return (
    entry !== undefined &&
    entry.ref === (model.ref ?? DEFAULT_REF) &&
    sameList(entry.include, model.include) &&
    sameList(entry.exclude, model.exclude)
  );
}

export function lockedModelFrom(
  model: DeclaredModel,
  pulled: PulledModel,
  policyDigest: string,
): LockedModel {
  const files: Record<string, LockedFile> = {};
  for (const f of pulled.files) {
    if (f.sha256 === undefined) continue;
    files[f.path] = {
      size: f.size,
      gitOid: f.gitOid,
      lfs: f.lfs,
      sha256: f.sha256,
      scan: {
        format: f.scan.format,
        verdict: f.rawVerdict as Verdict,
        scanner: VERSION,
        policy: policyDigest,
      },
    };
  }
  return {
    ref: model.ref ?? DEFAULT_REF,
    revision: pulled.commit,
    include: [...model.include],
    exclude: [...model.exclude],
    manifestDigest: computeManifestDigest(files),
    files,
    ...lockedSignatureOf(pulled.signature),
  };
}

export async function lockProject(options: LockOptions): Promise<LockResult> {
  const declared = declaredModels(options.project);
  const updating = (repo: string) =>
    options.update === "all" || (Array.isArray(options.update) && options.update.includes(repo));
  const keep: Record<string, LockedModel> = {};
  const todo: DeclaredModel[] = [];
  for (const model of declared) {
    const entry = options.previous?.models[model.repo];
    if (entryMatches(model, entry) && !updating(model.repo)) keep[model.repo] = entry!;
    else todo.push(model);
  }
  const pulled = await pullModels({
    client: options.client,
    cacheDir: options.cacheDir,
    models: todo.map((m) => ({ repo: m.repo, ref: m.ref, include: m.include, exclude: m.exclude })),
    policy: options.policy,
    today: options.today,
    concurrency: options.concurrency ?? 4,
    ...(options.onEvent !== undefined ? { onEvent: options.onEvent } : {}),
  });
  const models: Record<string, LockedModel> = { ...keep };
  todo.forEach((model, i) => {
    const p = pulled[i]!;
    if (p.commit !== "") models[model.repo] = lockedModelFrom(model, p, options.policyDigest);
  });
  const lock: Lockfile = { lockfileVersion: lockfileVersionFor(models), models };
  return {
    lock,
    pulled,
    kept: Object.keys(keep).sort(),
    blocked: pulled.some((p) => p.verdict !== "clean"),
    changes: diffLockfiles(
      options.previous ?? { lockfileVersion: LOCKFILE_VERSION, models: {} },
      lock,
    ),
  };
}
