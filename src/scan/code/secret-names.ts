/** Which environment variables are secrets, and which calls read one by name (the rules' data). */
import type { PythonRules } from "./rules.js";

/** HOME and friends: a path built from them points into the user's home folder. */
export const HOME_VARIABLES = new Set(["HOME", "USERPROFILE"]);

export class SecretNames {
  private readonly patterns: RegExp[];
  /** Calls that return an environment variable named by their first argument (env rules). */
  readonly envLookups: Set<string>;

  constructor(private readonly rules: PythonRules) {
    this.patterns = rules.secretEnvPatterns.map((p) => new RegExp(p, "i"));
    this.envLookups = new Set(
      rules.calls.filter((c) => c.onlyWhenSecretArg !== undefined).map((c) => c.name),
    );
  }

  isSecret(name: string): boolean {
    if (this.rules.secretEnvAllow.includes(name)) return false;
    return this.patterns.some((p) => p.test(name));
  }
}
