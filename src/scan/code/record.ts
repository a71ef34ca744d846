/**
 * What the analysis of one module collects as it walks: findings (each with the verdict it would
 * have at import time, for promotion), imports, inline code handed to exec/eval, and the facts
 * that only mean something together (a secret read and a network use: exfiltration).
 */
import { type Finding, finding, type Severity } from "../../core/finding.js";
import type { Verdict } from "../../core/verdict.js";
import type { PyNode } from "./parser.js";
import type { RuleVerdict } from "./rules.js";

export interface RelativeImport {
  /** Number of leading dots. */
  level: number;
  /** Dotted module after the dots ("" for `from . import x`). */
  module: string;
  /** Imported names (for `from . import a, b`, each may be a module file). */
  names: string[];
  line: number;
}

/** A string handed to exec/eval/compile whose content is known: analysed as code too. */
export interface InlineCode {
  code: string;
  line: number;
  column: number;
  importTime: boolean;
  via: string;
}

export interface ModuleAnalysis {
  findings: Finding[];
  /** Absolute modules imported anywhere in the file, sorted. */
  imports: string[];
  relativeImports: RelativeImport[];
  inline: InlineCode[];
}

/** How a finding is recorded: its evidence, and whether (and how) it runs at import time. */
export interface EmitOptions {
  evidence: Record<string, unknown>;
  /** The code runs when the module is imported: one severity step worse. */
  importTime?: boolean;
  /** The verdict the finding takes if its function turns out to run at import time. */
  importTimeVerdict?: RuleVerdict | undefined;
}

/** One severity step worse, for code that runs at import (or load) time. */
export const BUMP: Record<Severity, Severity> = {
  info: "low",
  low: "medium",
  medium: "high",
  high: "critical",
  critical: "critical",
};
export const SEVERITY: Record<RuleVerdict, Severity> = {
  suspicious: "medium",
  malicious: "critical",
};

interface Sighting {
  name: string;
  line: number;
}

export class AnalysisRecord {
  readonly findings: Finding[] = [];
  /** For each finding, the verdict it would have at import time (when a rule says so). */
  readonly importVerdicts: (RuleVerdict | undefined)[] = [];
  readonly imports = new Set<string>();
  readonly relativeImports: RelativeImport[] = [];
  readonly inline: InlineCode[] = [];
  private secretRead: Sighting | undefined;
  private networkUse: Sighting | undefined;
  private tooDeep: { line: number } | undefined;

  emit(verdict: RuleVerdict, message: string, at: PyNode, options: EmitOptions): void {
    const importTime = options.importTime ?? false;
    while (this.importVerdicts.length < this.findings.length) this.importVerdicts.push(undefined);
    this.importVerdicts.push(options.importTimeVerdict);
    const severity = importTime ? BUMP[SEVERITY[verdict]] : SEVERITY[verdict];
    const where = importTime ? ", at import time" : "";
    this.findings.push(
      finding(
        verdict === "malicious" ? "PYTHON_DANGEROUS" : "PYTHON_SUSPICIOUS",
        verdict as Verdict,
        `${message}${where}`,
        {
          severity,
          line: at.row + 1,
          column: at.col + 1,
          evidence: { ...options.evidence, scope: importTime ? "import-time" : "function" },
        },
      ),
    );
  }

  /** The first use of the network (kept for the exfiltration pattern). */
  noteNetwork(name: string, at: PyNode): void {
    this.networkUse ??= { name, line: at.row + 1 };
  }

  /** The first read of a secret (kept for the exfiltration pattern). */
  noteSecret(name: string, at: PyNode): void {
    this.secretRead ??= { name, line: at.row + 1 };
  }

  noteTooDeep(at: PyNode): void {
    this.tooDeep ??= { line: at.row + 1 };
  }

  noteInline(code: string, at: PyNode, importTime: boolean, via: string): void {
    this.inline.push({ code, line: at.row + 1, column: at.col + 1, importTime, via });
  }

  /** The result, with the findings only the whole module shows (too deep, exfiltration). */
  finish(maxDepth: number): ModuleAnalysis {
    if (this.tooDeep) {
      this.findings.push(
        finding(
          "BUDGET_EXCEEDED",
          "unscannable",
          `Code is nested more than ${maxDepth} levels deep; the innermost part was not analysed.`,
          { line: this.tooDeep.line },
        ),
      );
    }
    if (this.secretRead && this.networkUse) {
      this.findings.push(
        finding(
          "PYTHON_DANGEROUS",
          "malicious",
          `Reads the secret ${this.secretRead.name} (line ${this.secretRead.line}) and uses the network (${this.networkUse.name}, line ${this.networkUse.line}): the pattern of token exfiltration.`,
          {
            line: this.secretRead.line,
            evidence: { category: "exfiltration", secret: this.secretRead.name },
          },
        ),
      );
    }
    return {
      findings: this.findings,
      imports: [...this.imports].sort(),
      relativeImports: this.relativeImports,
      inline: this.inline,
    };
  }
}
