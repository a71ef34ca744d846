/**
 * `modelvet ci`, online half of the metadata check: the Hub's tree at the pinned commit against
 * the lock (size, git id, LFS sha256, files that appeared or vanished under the globs), and where
 * the locked ref points now.
 */
import { HubError } from "../core/errors.js";
import { finding } from "../core/finding.js";
import { compileGlobFilter } from "../core/globs.js";
import type { CiProblem } from "../core/lock-sync.js";
import type { Lockfile } from "../core/lockfile.js";
import { HEX40 } from "../core/object-id.js";
import { DEFAULT_REF } from "../core/project.js";
import type { HubClient } from "../io/hub.js";

export interface MetadataCheckOptions {
  client: HubClient;
  lock: Lockfile;
}

export async function checkMetadata(
  repo: string,
  options: MetadataCheckOptions,
  notes: string[],
): Promise<{ problems: CiProblem[]; files: number }> {
  const entry = options.lock.models[repo]!;
  const problems: CiProblem[] = [];
  let tree: Awaited<ReturnType<HubClient["listRepoFiles"]>>;
  try {
    tree = await options.client.listRepoFiles(repo, entry.revision);
  } catch (error) {
    if (error instanceof HubError && error.code === "HUB_REVISION_NOT_FOUND") {
      problems.push({
        class: "revision-gone",
        model: repo,
        finding: finding(
          "REVISION_GONE",
          "unscannable",
          `${repo}: the pinned commit ${entry.revision} no longer exists on the Hub (history rewritten or squashed).`,
        ),
      });
      return { problems, files: 0 };
    }
    throw error;
  }
  const keep = compileGlobFilter({ include: entry.include, exclude: entry.exclude });
  const byPath = new Map(tree.filter((f) => keep(f.path)).map((f) => [f.path, f]));
  for (const [path, locked] of Object.entries(entry.files)) {
    const f = byPath.get(path);
    const drift = (
      code: "LOCK_MISMATCH" | "LOCK_MISSING_ENTRY",
      message: string,
      expected?: string | number,
      actual?: string | number,
    ) =>
      problems.push({
        class: "drift",
        model: repo,
        path,
        finding: finding(code, "malicious", message, {
          ...(expected !== undefined ? { expected } : {}),
          ...(actual !== undefined ? { actual } : {}),
        }),
      });
    if (f === undefined) {
      drift(
        "LOCK_MISSING_ENTRY",
        `${repo}/${path} is in the lock but not in the Hub's tree at ${entry.revision.slice(0, 12)}.`,
      );
      continue;
    }
    byPath.delete(path);
    if (f.size !== locked.size)
      drift(
        "LOCK_MISMATCH",
        `${repo}/${path}: size ${f.size} on the Hub, ${locked.size} in the lock.`,
        locked.size,
        f.size,
      );
    else if (f.gitOid !== locked.gitOid)
      drift(
        "LOCK_MISMATCH",
        `${repo}/${path}: git id differs from the lock.`,
        locked.gitOid,
        f.gitOid,
      );
    else if ((f.lfs !== undefined) !== locked.lfs)
      drift(
        "LOCK_MISMATCH",
        `${repo}/${path}: ${locked.lfs ? "was" : "was not"} an LFS file in the lock.`,
      );
    else if (f.lfs !== undefined && f.lfs.sha256 !== locked.sha256)
      drift(
        "LOCK_MISMATCH",
        `${repo}/${path}: sha256 on the Hub differs from the lock.`,
        `sha256:${locked.sha256}`,
        `sha256:${f.lfs.sha256}`,
      );
  }
  for (const path of [...byPath.keys()].sort()) {
    problems.push({
      class: "drift",
      model: repo,
      path,
      finding: finding(
        "LOCK_EXTRA_ENTRY",
        "malicious",
        `${repo}/${path} is in the Hub's tree at ${entry.revision.slice(0, 12)} under the globs but not in the lock.`,
      ),
    });
  }
  await checkUpstreamRef(repo, options, problems, notes);
  return { problems, files: Object.keys(entry.files).length };
}

/**
 * Where does the locked ref point now? A tag that points elsewhere was re-tagged upstream: tags
 * are meant to be immutable, so that is drift. A branch or semver range that moved on is normal:
 * a note says how to move the pin.
 */
async function checkUpstreamRef(
  repo: string,
  options: MetadataCheckOptions,
  problems: CiProblem[],
  notes: string[],
): Promise<void> {
  const entry = options.lock.models[repo]!;
  if (HEX40.test(entry.ref)) return;
  let now: Awaited<ReturnType<HubClient["resolveModel"]>>;
  try {
    now = await options.client.resolveModel(
      repo,
      entry.ref === DEFAULT_REF ? undefined : entry.ref,
    );
  } catch (error) {
    notes.push(
      `${repo}: could not resolve ${entry.ref} upstream (${(error as Error).message}); the pinned commit was checked.`,
    );
    return;
  }
  if (now.revision.commit === entry.revision) return;
  const source = now.revision.source;
  if (source.kind === "tag") {
    problems.push({
      class: "drift",
      model: repo,
      finding: finding(
        "LOCK_MISMATCH",
        "malicious",
        `${repo}: tag ${source.name} now points at ${now.revision.commit.slice(0, 12)}, the lock pinned ${entry.revision.slice(0, 12)}: it was re-tagged upstream.`,
        {
          expected: entry.revision,
          actual: now.revision.commit,
        },
      ),
    });
    return;
  }
  notes.push(
    `${repo}: ${entry.ref} has moved to ${now.revision.commit.slice(0, 12)} (locked ${entry.revision.slice(0, 12)}); \`modelvet lock --update ${repo}\` moves the pin.`,
  );
}
