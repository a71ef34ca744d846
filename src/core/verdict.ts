/**
 * Verdicts, ordered from best to worst. A file's verdict is the worst verdict of its findings and
 * of its members. Everything but `clean` blocks by default.
 */

export const VERDICTS = ["clean", "suspicious", "unscannable", "malicious"] as const;
export type Verdict = (typeof VERDICTS)[number];

const RANK: Record<Verdict, number> = { clean: 0, suspicious: 1, unscannable: 2, malicious: 3 };

export function worseVerdict(a: Verdict, b: Verdict): Verdict {
  return RANK[a] >= RANK[b] ? a : b;
}

export function worstVerdict(verdicts: Iterable<Verdict>): Verdict {
  let worst: Verdict = "clean";
  for (const v of verdicts) worst = worseVerdict(worst, v);
  return worst;
}

export function verdictBlocks(verdict: Verdict): boolean {
  return verdict !== "clean";
}
