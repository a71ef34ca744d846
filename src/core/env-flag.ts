/**
 * How huggingface_hub reads a yes/no environment variable (`constants._is_true`): true for
 * 1, ON, YES or TRUE in any case; anything else, or unset, is false.
 */
const TRUE_VALUES = new Set(["1", "ON", "YES", "TRUE"]);

export function isTrueEnvValue(value: string | undefined): boolean {
  return value !== undefined && TRUE_VALUES.has(value.trim().toUpperCase());
}
