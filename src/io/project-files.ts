/**
 * Reading the project's files: modelvet.json (models and policy overrides), models.lock, and
 * the shipped organization allowlist. Parsing and validation are pure (core/); this file only
 * finds and reads them, and turns "cannot read" into an error that names the file.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { InputError } from "../core/errors.js";
import { type Lockfile, parseLockfile } from "../core/lockfile.js";
import { type OrgAllowlist, parseOrgAllowlist } from "../core/org-policy.js";
import { LOCK_FILE, PROJECT_FILE, type ProjectFile, parseProjectFile } from "../core/project.js";
import { SHIPPED_ALLOWLIST_DIR } from "./policy-files.js";

export interface ProjectLocation {
  /** modelvet.json */
  configPath: string;
  /** models.lock, beside modelvet.json */
  lockPath: string;
}

/** `--config FILE` names modelvet.json; the lock lives beside it. Default: the current folder. */
export function locateProject(config: string | undefined, cwd = process.cwd()): ProjectLocation {
  const configPath = resolve(cwd, config ?? PROJECT_FILE);
  return { configPath, lockPath: join(resolve(configPath, ".."), LOCK_FILE) };
}

function readText(
  path: string,
  what: string,
  code: "CONFIG_INVALID" | "LOCKFILE_INVALID",
): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new InputError(code, `Cannot read ${what} ${path}`, { cause: error });
  }
}

/** A project file's exact text, or undefined when there is none (to skip rewriting it unchanged). */
export function readTextIfAny(path: string): string | undefined {
  return readText(path, "the file", "CONFIG_INVALID");
}

/** modelvet.json, or undefined when there is none. */
export function readProjectFile(path: string): ProjectFile | undefined {
  const text = readText(path, "the project file", "CONFIG_INVALID");
  return text === undefined ? undefined : parseProjectFile(text, path);
}

/** models.lock, or undefined when there is none. */
export function readLockfile(path: string): Lockfile | undefined {
  const text = readText(path, "the lockfile", "LOCKFILE_INVALID");
  return text === undefined ? undefined : parseLockfile(text, path);
}

export function readOrgAllowlist(dir: string = SHIPPED_ALLOWLIST_DIR): OrgAllowlist {
  const path = join(dir, "organizations.json");
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new InputError("POLICY_FILE_INVALID", `Cannot read the organization allowlist ${path}`, {
      cause: error,
    });
  }
  return parseOrgAllowlist(json, path);
}
