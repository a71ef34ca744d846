/**
 * What a command needs from the outside world, resolved from its flags and the environment: the
 * Hub client, the project and its lock, the policy, the cache folder, offline mode, today's date.
 * This is cli/'s one door to io/ (the layer fence in test/structure/layers.test.ts holds cli/ to
 * it): commands compose these with the workflows in app/, and never reach io/ themselves.
 */
import type { ProjectFile } from "../core/project.js";
import { HubClient } from "../io/hub.js";
import { resolveHubConfig } from "../io/hub-config.js";
import { loadScanPolicy } from "../io/policy-files.js";
import { locateProject, readOrgAllowlist, readProjectFile } from "../io/project-files.js";
import type { PullPolicy } from "./pull.js";

export { writeFileAtomic } from "../io/atomic-file.js";
export { resolveCacheDir } from "../io/cache-layout.js";
export { redactSecrets } from "../io/fetch.js";
export { HubClient } from "../io/hub.js";
export { isOffline, knownSecrets, offlineError, resolveHubConfig } from "../io/hub-config.js";
export { findLockfiles } from "../io/lockfile-search.js";
export { computePolicyDigest } from "../io/policy-digest.js";
export { loadScanPolicy } from "../io/policy-files.js";
export {
  locateProject,
  readLockfile,
  readOrgAllowlist,
  readProjectFile,
} from "../io/project-files.js";
export { embeddedTrustRoot, readTrustRoot } from "../io/signature-sigstore.js";

export interface HubFlags {
  hubUrl?: string;
  token?: string;
}

export function makeHubClient(flags: HubFlags, onRetry?: (line: string) => void): HubClient {
  const config = resolveHubConfig({ hubUrl: flags.hubUrl, token: flags.token });
  return new HubClient(config, {
    onRetry: (e) =>
      onRetry?.(
        `retrying ${e.method} ${e.url} in ${Math.round(e.waitMs / 100) / 10} s (${e.reason})`,
      ),
  });
}

/** `projectDir`: where key files named in policy.signatures are (default: the current folder). */
export function loadPullPolicy(project: ProjectFile | undefined, projectDir = "."): PullPolicy {
  return {
    scan: loadScanPolicy(),
    organizations: readOrgAllowlist(),
    project: project?.policy ?? {
      organizations: { add: [], remove: [] },
      repos: { allow: [], deny: [] },
    },
    acceptedFindings: project?.policy.acceptedFindings ?? [],
    signatures: { rules: project?.policy.signatures ?? [], baseDir: projectDir },
  };
}

export function loadProject(config: string | undefined) {
  const location = locateProject(config);
  return { location, project: readProjectFile(location.configPath) };
}

/** Today as YYYY-MM-DD (UTC), for expiring exceptions. The only clock read. */
export function today(): string {
  return new Date().toISOString().slice(0, 10);
}
