/**
 * `modelvet inspect <org/name[@ref]>…`: argv → inspectModels → rendered report + exit code.
 * Exit 0 nothing blocks; 1 policy denies a model or a file/custom code is risky; 2 usage or
 * config error; 3 the Hub or the network failed for at least one model (undecided).
 */
import { inspectModels } from "../../app/inspect.js";
import {
  HubClient,
  isOffline,
  locateProject,
  offlineError,
  readOrgAllowlist,
  readProjectFile,
  redactSecrets,
  resolveHubConfig,
} from "../../app/session.js";
import { UsageError } from "../../core/errors.js";
import { EMPTY_PROJECT_POLICY } from "../../core/project-policy.js";
import { EXIT, type ExitCode } from "../exit-codes.js";
import { writeResult } from "../output.js";
import { renderInspectJson } from "../render/inspect-json.js";
import { renderInspectText } from "../render/inspect-text.js";

export interface InspectCommandOptions {
  format: string;
  output?: string;
  hubUrl?: string;
  token?: string;
  config?: string;
  include?: string[];
  exclude?: string[];
  quiet?: boolean;
}

export async function runInspect(
  refs: string[],
  options: InspectCommandOptions,
): Promise<ExitCode> {
  if (options.format !== "text" && options.format !== "json") {
    throw new UsageError(`Unknown --format "${options.format}": use text or json.`);
  }
  const { configPath } = locateProject(options.config);
  const project = readProjectFile(configPath);
  if (project === undefined && options.config !== undefined) {
    throw new UsageError(`--config ${options.config}: no such file.`);
  }
  const orgAllowlist = readOrgAllowlist();
  const hub = resolveHubConfig({ hubUrl: options.hubUrl, token: options.token });
  if (isOffline()) throw offlineError("modelvet inspect");
  const say = (line: string) => {
    if (!options.quiet) process.stderr.write(`modelvet: ${redactSecrets(line, hub.token)}\n`);
  };
  const client = new HubClient(hub, {
    onRetry: (e) =>
      say(
        `${e.method} ${e.url}: ${e.reason}; retry ${e.attempt} in ${(e.waitMs / 1000).toFixed(1)} s`,
      ),
  });
  const report = await inspectModels({
    refs,
    client,
    orgAllowlist,
    projectPolicy: project?.policy ?? EMPTY_PROJECT_POLICY,
    include: options.include ?? [],
    exclude: options.exclude ?? [],
    signatures: { rules: project?.policy.signatures ?? [], baseDir: "." },
  });
  for (const m of report.models) {
    if (m.error !== undefined)
      process.stderr.write(`modelvet: ${m.input}: ${redactSecrets(m.error.message, hub.token)}\n`);
  }
  const text = options.format === "json" ? renderInspectJson(report) : renderInspectText(report);
  // Messages are redacted where they are made; the exact token is masked once more here, without
  // touching other hf_-like text (a file may legitimately be named hf_something.bin).
  const safe = hub.token === undefined ? text : text.split(hub.token).join("hf_***");
  writeResult(safe, options.output);
  if (report.summary.errors > 0) return EXIT.HUB;
  return report.summary.blocked > 0 ? EXIT.BLOCKED : EXIT.OK;
}
