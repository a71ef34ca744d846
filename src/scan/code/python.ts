/**
 * The `python` scanner: parse a Python source file with tree-sitter and analyse it (analyze.ts).
 * Also used by the folder pass (scan/folder.ts) for every file `trust_remote_code` would import,
 * whatever format the sniffer gave it.
 *
 * Fail closed: a file tree-sitter cannot parse cleanly (ERROR or MISSING nodes anywhere), bytes
 * that are not valid UTF-8 without a coding declaration, or a file over the size, node or nesting
 * budget is unscannable. What was found in the parts that did parse is still reported.
 */
import { ScanError } from "../../core/errors.js";
import { type Finding, finding, SEVERITY_FOR_VERDICT } from "../../core/finding.js";
import { makeNode } from "../../core/report.js";
import type { Scanner } from "../context.js";
import { type ByteSource, readAll } from "../source.js";
import { type InlineCode, ModuleAnalyzer, type RelativeImport } from "./analyze.js";
import { parsePython } from "./parser.js";
import { moduleListed, type PythonPolicy } from "./rules.js";

export interface PythonFileAnalysis {
  findings: Finding[];
  /** Absolute modules imported, sorted. */
  imports: string[];
  relativeImports: RelativeImport[];
  /** For the report: imports split into model-code modules and others. */
  summary: { imports: string[]; otherImports: string[]; relativeImports: string[] };
}

const CODING_COOKIE = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/;

/** Declared codings whose bytes read the same as UTF-8 for ASCII, or map one byte to one character. */
const UTF8_CODINGS = /^(utf[-_]?8(?:[-_]sig)?|u8|ascii|us[-_]ascii|646)$/i;
const SINGLE_BYTE_CODINGS =
  /^(latin[-_]?1|l1|iso[-_]?8859[-_]?\d+|iso[-_]?latin[-_]?1|cp12\d\d|windows[-_]12\d\d|cp437|cp850|koi8[-_][ru])$/i;

/**
 * Decodes source as Python would, from its PEP 263 coding declaration (first two lines). A coding
 * outside the ASCII-compatible ones is a problem: `# coding: utf-7` turns `+AAo-` inside a comment
 * into a newline, so code hides in what every other tool reads as a comment.
 */
function decodeSource(bytes: Uint8Array): { text: string; problem?: string } {
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 512)).split(/\r?\n/, 2);
  let coding: string | undefined;
  for (const line of head) {
    const match = CODING_COOKIE.exec(line);
    if (match) {
      coding = match[1];
      break;
    }
    if (!/^[ \t\f]*(#.*)?$/.test(line)) break; // the cookie must precede any code
  }
  if (coding && SINGLE_BYTE_CODINGS.test(coding))
    return { text: new TextDecoder("latin1").decode(bytes) };
  let problem: string | undefined;
  if (coding && !UTF8_CODINGS.test(coding)) {
    problem = `the file declares "coding: ${coding}", which modelvet does not decode (the text Python runs may differ from what it shows)`;
  }
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
    return problem ? { text, problem } : { text };
  } catch {
    return {
      text: new TextDecoder("utf-8").decode(bytes),
      problem: problem ?? "the file is not valid UTF-8 and declares no coding",
    };
  }
}

/** Analyses one Python source. Throws ScanError only when the grammar cannot be loaded. */
export interface AnalyzeOptions {
  /** Classes in this file the loader instantiates (auto_map targets): see ModuleAnalyzer. */
  loadedClasses?: readonly string[];
  /** exec-in-exec nesting, internal. */
  inlineDepth?: number;
}

export async function analyzePythonSource(
  bytes: Uint8Array,
  policy: PythonPolicy,
  options: AnalyzeOptions = {},
): Promise<PythonFileAnalysis> {
  const inlineDepth = options.inlineDepth ?? 0;
  const { rules } = policy;
  const findings: Finding[] = [];
  const empty: PythonFileAnalysis = {
    findings,
    imports: [],
    relativeImports: [],
    summary: { imports: [], otherImports: [], relativeImports: [] },
  };
  if (bytes.length > rules.limits.maxSourceBytes) {
    findings.push(
      finding(
        "BUDGET_EXCEEDED",
        "unscannable",
        `Python source of ${bytes.length} bytes is over the ${rules.limits.maxSourceBytes}-byte limit: not analysed.`,
      ),
    );
    return empty;
  }
  const decoded = decodeSource(bytes);
  const problem =
    decoded.problem ??
    (bytes.includes(0)
      ? "the file contains NUL bytes, which Python refuses and parsers read differently"
      : undefined);
  // Python reads source with universal newlines: a lone \r ends a line. tree-sitter does not, so
  // "# comment\rimport os" would look like one comment while Python runs the import.
  const text = decoded.text.replace(/\r\n?/g, "\n");
  if (problem)
    findings.push(
      finding("PYTHON_UNPARSEABLE", "unscannable", `Cannot read as Python: ${problem}.`),
    );

  let parsed: Awaited<ReturnType<typeof parsePython>>;
  try {
    parsed = await parsePython(text, policy.grammar, { maxNodes: rules.limits.maxNodes });
  } catch (error) {
    if (error instanceof ScanError && error.code === "SCAN_BUDGET") {
      findings.push(finding("BUDGET_EXCEEDED", "unscannable", `Not analysed: ${error.message}.`));
      return empty;
    }
    throw error;
  }
  if (parsed.errors.length > 0) {
    const first = parsed.errors[0] as { row: number; col: number; missing: boolean };
    findings.push(
      finding(
        "PYTHON_UNPARSEABLE",
        "unscannable",
        `tree-sitter could not parse this file cleanly (${parsed.errors.length} place(s); first at line ${first.row + 1}): the analysis may miss code.`,
        { line: first.row + 1, column: first.col + 1 },
      ),
    );
  }

  const result = new ModuleAnalyzer(rules, options.loadedClasses).analyze(parsed);
  findings.push(...result.findings);

  findings.push(...(await inlineFindings(result.inline, policy, inlineDepth)));

  const imports = result.imports;
  return {
    findings,
    imports,
    relativeImports: result.relativeImports,
    summary: {
      imports: imports.filter((m) => moduleListed(rules.safeModules, m)),
      otherImports: imports.filter((m) => !moduleListed(rules.safeModules, m)),
      relativeImports: result.relativeImports.map(
        (r) => `${".".repeat(r.level)}${r.module}${r.module ? "" : ` (${r.names.join(", ")})`}`,
      ),
    },
  };
}

/**
 * Strings handed to exec/eval/compile whose text is known, analysed as code too (at most
 * `maxInlineDepth` levels of exec in exec); their findings are reported at the call.
 */
async function inlineFindings(
  inline: readonly InlineCode[],
  policy: PythonPolicy,
  inlineDepth: number,
): Promise<Finding[]> {
  const { rules } = policy;
  const findings: Finding[] = [];
  for (const code of inline) {
    if (inlineDepth >= rules.limits.maxInlineDepth) {
      findings.push(
        finding(
          "BUDGET_EXCEEDED",
          "unscannable",
          `Code run by ${code.via} nests more than ${rules.limits.maxInlineDepth} levels of exec: not analysed.`,
          { line: code.line, column: code.column },
        ),
      );
      continue;
    }
    const inner = await analyzePythonSource(new TextEncoder().encode(code.code), policy, {
      inlineDepth: inlineDepth + 1,
    });
    // A string that does not parse is not code Python would run; what does parse counts.
    for (const f of inner.findings) {
      if (f.code === "PYTHON_UNPARSEABLE") continue;
      findings.push({
        ...f,
        message: `in code run by ${code.via} at line ${code.line}: ${f.message}`,
        severity: code.importTime ? f.severity : SEVERITY_FOR_VERDICT[f.verdict],
        line: code.line,
        column: code.column,
      });
    }
  }

  return findings;
}

export const scanPythonFile: Scanner = async (source: ByteSource, ctx, detection) => {
  const limit = ctx.policy.python.rules.limits.maxSourceBytes;
  if (source.size > limit) {
    return makeNode({
      path: ctx.path,
      format: detection.format,
      size: source.size,
      findings: [
        finding(
          "BUDGET_EXCEEDED",
          "unscannable",
          `Python source of ${source.size} bytes is over the ${limit}-byte limit: not analysed.`,
        ),
      ],
    });
  }
  const analysis = await analyzePythonSource(readAll(source), ctx.policy.python);
  return makeNode({
    path: ctx.path,
    format: detection.format,
    size: source.size,
    findings: analysis.findings,
    summary: analysis.summary,
  });
};
