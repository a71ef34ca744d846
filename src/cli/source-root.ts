/**
 * The repository root that CI reports are relative to: GitHub's checkout (GITHUB_WORKSPACE),
 * GitLab's (CI_PROJECT_DIR), else the nearest folder up from the working directory that holds
 * `.git`, else the working directory. Dashboards link results to files by these relative paths.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export function findSourceRoot(cwd: string, env: NodeJS.ProcessEnv): string {
  for (const name of ["GITHUB_WORKSPACE", "CI_PROJECT_DIR"] as const) {
    const value = env[name];
    if (value) return resolve(cwd, value);
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, ".git"))) return dir;
    if (dirname(dir) === dir) return resolve(cwd);
  }
}
