/**
 * Everything a scanner needs to decide, as plain data. Loaded from allowlist/ by io/ and passed in,
 * so scanners never read files themselves. Each area owns its own part.
 */
import type { PythonPolicy } from "./code/rules.js";
import type { KerasPolicy } from "./keras/policy.js";
import type { PicklePolicy } from "./pickle/policy.js";

export interface ScanPolicy {
  pickle: PicklePolicy;
  keras: KerasPolicy;
  python: PythonPolicy;
}
