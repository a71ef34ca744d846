/**
 * `modelvet pull` with no argument: install exactly what models.lock pins, like `npm ci`. Every
 * file is fetched at its pinned commit, and the lock's size, git id and SHA-256 are the download's
 * expectations together with the Hub's tree (io/download.ts): bytes that differ from the lock never
 * leave their partial file, so nothing that differs from the lock is ever linked, not even for a
 * moment. Nothing is re-resolved: refs/ are written for the ref each model was locked from,
 * pointing at the locked commit, as the official client writes them (app/locked-refs.ts). With no
 * client (HF_HUB_OFFLINE) the lock is installed from the cache alone (app/install-offline.ts).
 * Never prints: the caller renders the result.
 */
import type { Finding } from "../core/finding.js";
import { syncProblemsOf } from "../core/lock-sync.js";
import type { Lockfile } from "../core/lockfile.js";
import type { ProjectFile } from "../core/project.js";
import type { HubClient } from "../io/hub.js";
import { installFromCache } from "./install-offline.js";
import {
  type PullEvent,
  type PulledFile,
  type PulledModel,
  type PullPolicy,
  pullModels,
} from "./pull.js";

export interface InstallOptions {
  /** Undefined: offline (HF_HUB_OFFLINE), install from the cache alone (app/install-offline.ts). */
  client: HubClient | undefined;
  cacheDir: string;
  project: ProjectFile;
  lock: Lockfile;
  policy: PullPolicy;
  /** YYYY-MM-DD, for expiring exceptions. */
  today: string;
  concurrency?: number;
  onEvent?: (event: PullEvent) => void;
}

export interface InstalledModel {
  model: PulledModel;
  /** Findings about the model as a whole (policy, files in the lock but not in the tree). */
  findings: Finding[];
  /** Files that were not linked: wrong bytes (against the tree or the lock) or a blocking scan. */
  withheld: PulledFile[];
  /** Offline only: locked files the cache does not hold, so they could not be installed. */
  absent: string[];
}

export type InstallResult =
  | { status: "out-of-sync"; problems: Finding[] }
  | { status: "installed"; models: InstalledModel[] };

export async function installFromLock(options: InstallOptions): Promise<InstallResult> {
  const sync = syncProblemsOf(options.project, options.lock);
  if (sync.length > 0) return { status: "out-of-sync", problems: sync.map((p) => p.finding) };
  const { lock } = options;
  if (options.client === undefined) {
    const installed = await installFromCache(options);
    return {
      status: "installed",
      models: installed.map(({ model, absent }) => ({
        model,
        findings: model.findings,
        withheld: model.files.filter((f) => f.status !== "linked"),
        absent,
      })),
    };
  }
  const repos = Object.keys(lock.models).sort();
  const models = await pullModels({
    client: options.client,
    cacheDir: options.cacheDir,
    models: repos.map((repo) => ({
      repo,
      ref: lock.models[repo]!.revision,
      include: [],
      exclude: [],
    })),
    policy: options.policy,
    today: options.today,
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    pinned: new Map(
      repos.map((repo) => [
        repo,
        {
          commit: lock.models[repo]!.revision,
          ref: lock.models[repo]!.ref,
          files: Object.keys(lock.models[repo]!.files).sort(),
          locked: lock.models[repo]!.files,
        },
      ]),
    ),
    ...(options.onEvent !== undefined ? { onEvent: options.onEvent } : {}),
  });
  return {
    status: "installed",
    models: models.map((model) => ({
      model,
      findings: model.findings,
      withheld: model.files.filter((f) => f.status !== "linked"),
      absent: [],
    })),
  };
}
