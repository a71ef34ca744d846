import { sbomOfProject } from "../../app/sbom.js";
import { UsageError } from "../../core/errors.js";
import { EXIT, type ExitCode } from "../exit-codes.js";
import { writeResult } from "../output.js";

export interface SbomCommandOptions {
  config?: string;
  format: string;
  output?: string;
}

export function runSbom(options: SbomCommandOptions): ExitCode {
  if (options.format !== "cyclonedx")
    throw new UsageError(`Unknown --format "${options.format}": use cyclonedx.`);
  writeResult(sbomOfProject({ config: options.config }), options.output);
  return EXIT.OK;
}
