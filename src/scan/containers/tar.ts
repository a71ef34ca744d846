/**
 * Tar archives, including PyTorch's legacy tar checkpoints (members `sys_info`, `pickle`,
 * `storages`, `tensors`). Parsed from memory with the `tar` package's Parser; nothing is ever
 * extracted. Links, devices and other odd members are findings; so are names that climb out of
 * the extraction folder. Python's tarfile looks members up by name and takes the LAST one with
 * that name, so duplicates are reported and every copy is scanned.
 */
import { Parser, type ReadEntry } from "tar";
import { type Finding, finding } from "../../core/finding.js";
import { makeNode, type ScanNode } from "../../core/report.js";
import type { ScanContext, Scanner } from "../context.js";
import { type ByteSource, bytesSource } from "../source.js";
import { leafNode, scanAsPickle, scanChildBothWays, scanLoaderPickle } from "./member.js";
import { tarIds } from "./torch-ids.js";
import { scanTarStorages, scanTarTensors } from "./torch-tar-streams.js";

const FEED_CHUNK = 1024 * 1024;
const TORCH_MEMBERS = new Set(["sys_info", "pickle", "storages", "tensors"]);
const FILE_TYPES = new Set(["File", "OldFile", "ContiguousFile"]);
/**
 * Damage warnings listed one by one; the rest are counted in one finding. A 200 MB file of bad
 * headers gave 409,600 findings (a 36 MB report).
 */
export const MAX_TAR_WARNINGS = 100;

interface TarMember {
  path: string;
  type: string;
  size: number;
  linkpath?: string;
  /** Undefined when the member was too large to hold. */
  data?: Uint8Array;
}

interface TarContents {
  members: TarMember[];
  findings: Finding[];
}

export function readTar(source: ByteSource, ctx: ScanContext): TarContents {
  const members: TarMember[] = [];
  const findings: Finding[] = [];
  let held = 0;
  let overBudget = false;
  let warnings = 0;
  const parser = new Parser({
    strict: false,
    onwarn: (code: string, message: string | Error) => {
      warnings += 1;
      if (warnings > MAX_TAR_WARNINGS) return;
      findings.push(
        finding(
          "UNSCANNABLE",
          "unscannable",
          `The tar archive is damaged (${code}: ${String(message)}).`,
        ),
      );
    },
    onReadEntry: (entry: ReadEntry) => {
      if (members.length >= ctx.budget.limits.maxMembers) {
        if (!overBudget)
          findings.push(
            finding(
              "BUDGET_EXCEEDED",
              "unscannable",
              `More than ${ctx.budget.limits.maxMembers} tar members; the rest were not scanned.`,
            ),
          );
        overBudget = true;
        entry.resume();
        return;
      }
      const member: TarMember = { path: entry.path, type: entry.type, size: entry.size };
      if (entry.linkpath) member.linkpath = entry.linkpath;
      members.push(member);
      const keep =
        FILE_TYPES.has(entry.type) && held + entry.size <= ctx.budget.limits.maxInMemoryBytes;
      if (!keep) {
        entry.resume();
        return;
      }
      held += entry.size;
      const data = new Uint8Array(entry.size);
      let at = 0;
      entry.on("data", (chunk: Buffer) => {
        data.set(chunk.subarray(0, Math.max(0, data.length - at)), at);
        at += chunk.length;
      });
      entry.on("end", () => {
        member.data = at === data.length ? data : data.subarray(0, Math.min(at, data.length));
      });
    },
  });
  for (let at = 0; at < source.size; at += FEED_CHUNK)
    parser.write(Buffer.from(source.read(at, FEED_CHUNK)));
  parser.end();
  if (warnings > MAX_TAR_WARNINGS)
    findings.push(
      finding(
        "UNSCANNABLE",
        "unscannable",
        `The tar archive is damaged in ${warnings - MAX_TAR_WARNINGS} more places, not listed (the limit is ${MAX_TAR_WARNINGS} listed).`,
      ),
    );
  return { members, findings };
}

function escapes(path: string): boolean {
  return /^([/\\]|[A-Za-z]:)/.test(path) || path.split(/[/\\]/).includes("..");
}

/** Names as tarfile compares them (trailing slashes and a leading "./" do not count). */
function loaderName(path: string): string {
  return path.replace(/^\.\//, "").replace(/\/+$/, "");
}

function stackNode(
  name: string,
  format: string,
  size: number,
  scan: { members: ScanNode[]; findings: Finding[]; summary: Record<string, unknown> },
): ScanNode {
  return makeNode({
    path: name,
    format,
    size,
    findings: scan.findings,
    members: scan.members,
    summary: scan.summary,
  });
}

async function scanTarMember(
  member: TarMember,
  ctx: ScanContext,
  duplicate: boolean,
): Promise<ScanNode | undefined> {
  const own: Finding[] = [];
  const name = loaderName(member.path);
  if (escapes(member.path)) {
    own.push(
      finding(
        "ARCHIVE_PATH_ESCAPE",
        "malicious",
        "The member name escapes the extraction folder (absolute path or '..').",
      ),
    );
  }
  if (duplicate) {
    own.push(
      finding(
        "ARCHIVE_ODD_MEMBER",
        "suspicious",
        `The name "${name}" appears more than once; Python's tarfile uses the last copy. Every copy is scanned.`,
      ),
    );
  }
  if (member.type === "Directory")
    return own.length > 0 ? leafNode(member.path, "directory", 0, own) : undefined;
  if (member.type === "SymbolicLink" || member.type === "Link") {
    const loaderReads = TORCH_MEMBERS.has(name);
    own.push(
      finding(
        "ARCHIVE_LINK",
        loaderReads ? "unscannable" : "suspicious",
        `A ${member.type === "Link" ? "hard" : "symbolic"} link to "${member.linkpath ?? "?"}"${loaderReads ? "; torch.load would read the link's target, which cannot be scanned" : ""}.`,
      ),
    );
    return leafNode(member.path, "link", 0, own);
  }
  if (!FILE_TYPES.has(member.type)) {
    own.push(finding("ARCHIVE_ODD_MEMBER", "suspicious", `A tar member of type ${member.type}.`));
    return leafNode(member.path, "special", member.size, own);
  }
  if (!member.data) {
    own.push(
      finding(
        "BUDGET_EXCEEDED",
        "unscannable",
        "The member is larger than the in-memory limit; not scanned.",
      ),
    );
    return leafNode(member.path, "unknown", member.size, own);
  }
  if (member.data.length < member.size) {
    own.push(
      finding("UNSCANNABLE", "unscannable", "The member is cut off by the end of the archive."),
    );
  }
  const data = bytesSource(member.data);
  let node: ScanNode;
  if (name === "pickle") node = (await scanLoaderPickle(ctx, data, member.path, tarIds)).node;
  else if (name === "sys_info") node = await scanAsPickle(ctx, data, member.path);
  else if (name === "storages")
    node = stackNode(
      member.path,
      "torch-storages",
      data.size,
      scanTarStorages(data, ctx, member.path),
    );
  else if (name === "tensors")
    node = stackNode(
      member.path,
      "torch-tensors",
      data.size,
      scanTarTensors(data, ctx, member.path),
    );
  else node = await scanChildBothWays(ctx, data, member.path);
  if (own.length === 0) return node;
  const { verdict: _v, ...rest } = node;
  return makeNode({ ...rest, findings: [...own, ...node.findings] });
}

export const scanTar: Scanner = async (source, ctx) => {
  const contents = readTar(source, ctx);
  const counts = new Map<string, number>();
  for (const m of contents.members)
    counts.set(loaderName(m.path), (counts.get(loaderName(m.path)) ?? 0) + 1);
  const members: ScanNode[] = [];
  for (const m of contents.members) {
    const node = await scanTarMember(m, ctx, (counts.get(loaderName(m.path)) ?? 0) > 1);
    if (node) members.push(node);
  }
  const torch = counts.has("pickle") && counts.has("storages");
  return makeNode({
    path: ctx.path,
    format: torch ? "pytorch-legacy-tar" : "tar",
    size: source.size,
    findings: contents.findings,
    members,
    summary: { members: contents.members.length },
  });
};
