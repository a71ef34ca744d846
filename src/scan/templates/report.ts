/** The findings of one template: deduplicated by rule and detail, capped, the rest counted. */
import { type Finding, finding } from "../../core/finding.js";
import { type Verdict, worseVerdict } from "../../core/verdict.js";
import type { TemplateLimits } from "./parse.js";

export class TemplateReport {
  readonly findings: Finding[] = [];
  private readonly seen = new Set<string>();
  private dropped = 0;

  constructor(
    private readonly where: string,
    private readonly limits: TemplateLimits,
  ) {}

  report(verdict: Verdict, rule: string, detail: string, text: string): void {
    const key = `${rule}\u0000${detail}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (this.findings.length >= this.limits.maxFindings) {
      this.dropped++;
      return;
    }
    this.findings.push(
      finding("TEMPLATE_DANGEROUS", verdict, `Chat template ${this.where}: ${text}`, {
        evidence: { where: this.where, rule, detail },
      }),
    );
  }

  finish(): Finding[] {
    if (this.dropped > 0) {
      const worst = this.findings.reduce<Verdict>((v, f) => worseVerdict(v, f.verdict), "clean");
      this.findings.push(
        finding(
          "TEMPLATE_DANGEROUS",
          worst,
          `Chat template ${this.where}: ${this.dropped} more findings not listed.`,
          {
            evidence: { where: this.where, dropped: this.dropped },
          },
        ),
      );
    }
    return this.findings;
  }
}
