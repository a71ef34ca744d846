/**
 * `modelvet audit`: for every model pinned in one or more lock files, what is known now that was
 * not when it was locked. Never writes.
 *
 * - Advisories (core/advisories.ts) matched against each locked model, commit, path and digest.
 * - Online, the Hub's current view of each pinned model: the repo disabled, gone or made private,
 *   gated; the pinned commit no longer there; the locked tag moved; files its own scanners now
 *   flag (`securityRepoStatus.filesWithIssues`) among the pinned files.
 *
 * A model the Hub could not answer for is listed in `unchecked`: never a silent pass.
 */
import { type AdvisoryMatch, matchAdvisories, parseAdvisories } from "../core/advisories.js";
import type { AuditItem, AuditResult } from "../core/audit.js";
import { HubError, InputError } from "../core/errors.js";
import { finding, type Severity } from "../core/finding.js";
import type { LockedModel, Lockfile } from "../core/lockfile.js";
import { HEX40 } from "../core/object-id.js";
import { readAdvisorySource } from "../io/advisory-source.js";
import type { HubClient } from "../io/hub.js";
import { readLockfile } from "../io/project-files.js";

export interface AuditOptions {
  /** Absolute paths of the lock files to read. */
  lockfiles: readonly string[];
  /** How each lock file is named in the result (default: its path). */
  label?: (path: string) => string;
  /** Advisory files or URLs. */
  advisories: readonly string[];
  /** The Hub; undefined for an offline audit (advisories only). */
  client: HubClient | undefined;
}

const VERDICT_FOR: Record<Severity, "malicious" | "suspicious" | "clean"> = {
  critical: "malicious",
  high: "malicious",
  medium: "suspicious",
  low: "suspicious",
  info: "clean",
};

const sev = (
  code: Parameters<typeof finding>[0],
  severity: Severity,
  message: string,
  extra: Parameters<typeof finding>[3] = {},
) => ({ ...finding(code, VERDICT_FOR[severity], message, extra), severity });

function advisoryItems(
  lockfile: string,
  repo: string,
  model: LockedModel,
  match: AdvisoryMatch,
): AuditItem[] {
  const { advisory } = match;
  const base = {
    lockfile,
    model: repo,
    revision: model.revision,
    advisory: {
      id: advisory.id,
      aliases: advisory.aliases ?? [],
      references: (advisory.references ?? []).map((r) => r.url),
    },
  };
  const how = match.by === "sha256" ? " (matched by the file's SHA-256)" : "";
  if (match.paths.length === 0)
    return [
      {
        ...base,
        finding: sev(
          "ADVISORY_MATCH",
          advisory.severity,
          `${advisory.id}: ${advisory.summary} (${repo} @ ${model.revision.slice(0, 12)})`,
        ),
      },
    ];
  return match.paths.map((path) => ({
    ...base,
    path,
    finding: sev(
      "ADVISORY_MATCH",
      advisory.severity,
      `${advisory.id}: ${advisory.summary} (${repo}/${path} @ ${model.revision.slice(0, 12)})${how}`,
      { evidence: { sha256: model.files[path]!.sha256 } },
    ),
  }));
}

/** The Hub's level for a flagged file, as a severity. */
function hubLevelSeverity(level: string | undefined): Severity {
  const l = (level ?? "").toLowerCase();
  if (["unsafe", "dangerous", "malicious", "infected"].includes(l)) return "critical";
  if (["caution", "suspicious", "innocuous"].includes(l)) return "medium";
  return "high";
}

async function hubItems(
  client: HubClient,
  lockfile: string,
  repo: string,
  model: LockedModel,
): Promise<AuditItem[]> {
  const at = { lockfile, model: repo, revision: model.revision };
  const items: AuditItem[] = [];
  let gated: boolean;
  try {
    const info = await client.fetchRepoInfo(repo, model.revision);
    gated = info.gated !== false;
  } catch (error) {
    if (!(error instanceof HubError)) throw error;
    switch (error.code) {
      case "HUB_DISABLED":
        return [
          {
            ...at,
            finding: sev(
              "REPO_DISABLED",
              "high",
              `${repo} has been disabled on the Hub (often for a policy or malware report): stop using it and find out why.`,
            ),
          },
        ];
      case "HUB_NOT_FOUND":
      case "HUB_PRIVATE":
        return [
          {
            ...at,
            finding: sev(
              "REPO_UNAVAILABLE",
              "high",
              `${repo} is not on the Hub for this token any more: deleted, renamed or made private.`,
            ),
          },
        ];
      case "HUB_GATED":
        return [
          {
            ...at,
            finding: sev(
              "REPO_GATED",
              "low",
              `${repo} is gated now and this token has no access: the pinned commit could not be checked.`,
            ),
          },
        ];
      case "HUB_REVISION_NOT_FOUND":
        items.push({
          ...at,
          finding: sev(
            "REVISION_GONE",
            "high",
            `${repo}: the pinned commit ${model.revision} no longer exists on the Hub (history rewritten or squashed).`,
          ),
        });
        return items;
      default:
        throw error;
    }
  }
  // The lock does not record whether a repo was gated when it was locked: worth knowing only.
  if (gated)
    items.push({
      ...at,
      finding: sev("REPO_GATED", "info", `${repo} is gated on the Hub: access needs approval.`),
    });

  const status = await client.fetchSecurityStatus(repo, model.revision);
  for (const flagged of status?.filesWithIssues ?? []) {
    if (model.files[flagged.path] === undefined) continue;
    items.push({
      ...at,
      path: flagged.path,
      finding: sev(
        "HUB_SECURITY_STATUS",
        hubLevelSeverity(flagged.level),
        `${repo}/${flagged.path}: the Hub's scanners now flag this pinned file (${flagged.level ?? "no level given"}).`,
      ),
    });
  }

  if (!HEX40.test(model.ref) && model.ref !== "HEAD") {
    const now = await client.resolveModel(repo, model.ref);
    const source = now.revision.source;
    if (source.kind === "tag" && now.revision.commit !== model.revision)
      items.push({
        ...at,
        finding: sev(
          "TAG_MOVED",
          "high",
          `${repo}: tag ${source.name} now points at ${now.revision.commit.slice(0, 12)}, the lock pinned ${model.revision.slice(0, 12)}: it was re-tagged upstream.`,
          { expected: model.revision, actual: now.revision.commit },
        ),
      });
  }
  return items;
}

function readLock(path: string): Lockfile {
  const lock = readLockfile(path);
  if (lock === undefined) throw new InputError("INPUT_NOT_FOUND", `No lock file at ${path}.`);
  return lock;
}

export async function runAudit(options: AuditOptions): Promise<AuditResult> {
  const label = options.label ?? ((p: string) => p);
  const advisories = [];
  for (const source of options.advisories)
    advisories.push(...parseAdvisories(await readAdvisorySource(source), source));
  const locks = options.lockfiles.map((path) => ({ path, lock: readLock(path) }));

  const items: AuditItem[] = [];
  const unchecked: string[] = [];
  /** One Hub check per (repo, commit, ref), shared by every lock file that pins it. */
  const hubChecks = new Map<string, Promise<AuditItem[]>>();
  let models = 0;
  for (const { path, lock } of locks) {
    for (const repo of Object.keys(lock.models).sort()) {
      models++;
      const model = lock.models[repo]!;
      for (const match of matchAdvisories(advisories, repo, model))
        items.push(...advisoryItems(label(path), repo, model, match));
      if (options.client === undefined) continue;
      const key = `${repo}\u0000${model.revision}\u0000${model.ref}`;
      let check = hubChecks.get(key);
      if (check === undefined) {
        check = hubItems(options.client, "", repo, model);
        hubChecks.set(key, check);
      }
      try {
        for (const item of await check) items.push({ ...item, lockfile: label(path) });
      } catch (error) {
        if (!(error instanceof HubError)) throw error;
        unchecked.push(`${label(path)}: ${repo}: the Hub could not answer (${error.message})`);
      }
    }
  }
  return {
    lockfiles: locks.map((l) => label(l.path)),
    models,
    mode: options.client === undefined ? "offline" : "online",
    advisories: advisories.length,
    items,
    unchecked,
  };
}
