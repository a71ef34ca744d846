/** Tokens never reach any output: `hf_…` tokens and Authorization values are masked. */
export function redact(text: string): string {
  return text
    .replace(/\bhf_[A-Za-z0-9]{6,}/g, "hf_***")
    .replace(/(authorization\s*[:=]\s*)(bearer\s+)?\S+/gi, "$1$2***");
}
