/**
 * The GGUF scanner (llama.cpp weights). GGUF holds no code, with one exception: the Jinja chat
 * templates in its metadata, which are rendered at inference time (threat G1). So:
 *
 * 1. our bounded header walk (header.ts) validates counts, lengths, types and tensor offsets the
 *    way ggml's loader does; any violation is GGUF_INVALID / unscannable;
 * 2. @huggingface/gguf reads the same header as a second reader; a rejection or a disagreement on
 *    counts is GGUF_INVALID too (a scanner/loader disagreement is how scanners get bypassed);
 * 3. every chat template (`tokenizer.chat_template` and named `tokenizer.chat_template.<name>`)
 *    goes to the template scanner; one too large to hold is BUDGET_EXCEEDED, not skipped.
 *
 * Tensor data is never read: a multi-gigabyte file costs its header.
 */
import { type Finding, finding } from "../../core/finding.js";
import { makeNode } from "../../core/report.js";
import type { Scanner } from "../context.js";
import { checkChatTemplate } from "./chat-template.js";
import { GgufFormatError, type GgufHeader, GgufLimitError, walkGgufHeader } from "./header.js";
import { REFERENCE_MAX_HEADER, readWithReference } from "./reference.js";
import { GGUF_FILE_TYPES } from "./types.js";

const TEMPLATE_KEY = /^tokenizer\.chat_template(?:\..+)?$/;

export const scanGguf: Scanner = async (source, ctx, detection) => {
  const findings: Finding[] = [];
  let header: GgufHeader | undefined;
  try {
    header = walkGgufHeader(source, {
      maxKeptString: Math.min(16 << 20, ctx.budget.limits.maxInMemoryBytes),
    });
  } catch (error) {
    if (!(error instanceof GgufFormatError)) throw error;
    const [code, what] =
      error instanceof GgufLimitError
        ? (["BUDGET_EXCEEDED", "GGUF header over a limit"] as const)
        : (["GGUF_INVALID", "Invalid GGUF header"] as const);
    findings.push(
      finding(code, "unscannable", `${what}: ${error.message}.`, { offset: error.offset }),
    );
  }

  if (header) {
    findings.push(...(await crossCheck(source, header)));
    for (const [key, value] of header.metadata) {
      if (!TEMPLATE_KEY.test(key)) continue;
      if (value.type !== "string") {
        findings.push(
          finding("GGUF_INVALID", "unscannable", `GGUF metadata ${key} is not a string.`),
        );
      } else if (value.value.length === 0 && value.length > 0) {
        findings.push(
          finding(
            "BUDGET_EXCEEDED",
            "unscannable",
            `The chat template in ${key} is ${value.length} bytes, too large to check.`,
          ),
        );
      } else {
        findings.push(...checkChatTemplate(value.value, `${ctx.path}:${key}`));
      }
    }
  }

  const summary = header ? summarizeGguf(header) : undefined;
  if (summary && header) {
    // Said out loud, so a reader of the report knows only one parser read this header.
    summary.referenceCheck =
      header.headerEnd > REFERENCE_MAX_HEADER
        ? `skipped: the ${header.headerEnd}-byte header exceeds what @huggingface/gguf buffers`
        : "@huggingface/gguf";
  }
  return makeNode({
    path: ctx.path,
    format: detection.format,
    size: source.size,
    findings,
    ...(summary ? { summary } : {}),
  });
};

async function crossCheck(source: Parameters<Scanner>[0], header: GgufHeader): Promise<Finding[]> {
  if (header.headerEnd > REFERENCE_MAX_HEADER) return [];
  try {
    const ref = await readWithReference(source);
    const problems: string[] = [];
    if (ref.tensorCount !== header.tensors.length)
      problems.push(`tensor count ${ref.tensorCount} vs ${header.tensors.length}`);
    if (ref.kvCount !== header.metadata.size)
      problems.push(`metadata count ${ref.kvCount} vs ${header.metadata.size}`);
    if (ref.tensorDataOffset !== header.dataOffset)
      problems.push(`data offset ${ref.tensorDataOffset} vs ${header.dataOffset}`);
    if (problems.length === 0) return [];
    return [
      finding(
        "GGUF_INVALID",
        "unscannable",
        `Two GGUF readers disagree on this header (${problems.join("; ")}).`,
      ),
    ];
  } catch (error) {
    return [
      finding(
        "GGUF_INVALID",
        "unscannable",
        `The reference GGUF parser rejects this header: ${error instanceof Error ? error.message : String(error)}.`,
      ),
    ];
  }
}

function metaString(header: GgufHeader, key: string): string | undefined {
  const v = header.metadata.get(key);
  return v?.type === "string" ? v.value.slice(0, 200) : undefined;
}

export function summarizeGguf(header: GgufHeader): Record<string, unknown> {
  let parameters = 0n;
  const tensorsByType: Record<string, number> = {};
  for (const t of header.tensors) {
    parameters += t.elements;
    tensorsByType[t.typeName] = (tensorsByType[t.typeName] ?? 0) + 1;
  }
  const fileType = header.metadata.get("general.file_type");
  const fileTypeId = fileType?.type === "number" ? Number(fileType.value) : undefined;
  const summary: Record<string, unknown> = {
    version: header.version,
    tensors: header.tensors.length,
    parameters: Number(parameters),
    tensorsByType,
    metadataKeys: header.metadata.size,
    chatTemplates: [...header.metadata.keys()].filter((k) => TEMPLATE_KEY.test(k)),
  };
  const architecture = metaString(header, "general.architecture");
  if (architecture !== undefined) summary.architecture = architecture;
  const name = metaString(header, "general.name");
  if (name !== undefined) summary.name = name;
  if (fileTypeId !== undefined)
    summary.quantization = GGUF_FILE_TYPES.get(fileTypeId) ?? `file type ${fileTypeId}`;
  return summary;
}
