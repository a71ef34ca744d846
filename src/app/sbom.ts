/**
 * `modelvet sbom`: the project's models.lock as a CycloneDX ML-BOM (core/sbom.ts). Reads only.
 */
import { InputError } from "../core/errors.js";
import { buildSbom } from "../core/sbom.js";
import { locateProject, readLockfile } from "../io/project-files.js";
import { VERSION } from "../version.js";

export interface SbomRunOptions {
  /** modelvet.json; models.lock sits beside it (default: the current folder). */
  config?: string | undefined;
}

export function sbomOfProject(options: SbomRunOptions): string {
  const { lockPath } = locateProject(options.config);
  const lock = readLockfile(lockPath);
  if (lock === undefined)
    throw new InputError(
      "INPUT_NOT_FOUND",
      `There is no models.lock at ${lockPath}: run \`modelvet lock\` first (or pass --config).`,
    );
  return buildSbom(lock, { toolVersion: VERSION });
}
