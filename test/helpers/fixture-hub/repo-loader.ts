/**
 * Loads `fixtures/hub/repos/<org>/<name>/repo.json` (schema in fixtures/hub/README.md) into the
 * in-memory git model, failing loudly with the file and the problem on anything malformed.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { z } from "zod";
import { sha1Hex } from "./git-objects.js";
import {
  buildCommit,
  type Commit,
  makeStoredFile,
  type Repo,
  type StoredFile,
} from "./repo-model.js";

const FileSpecSchema = z.union([
  z.string(),
  z
    .object({
      text: z.string().optional(),
      source: z.string().optional(),
      base64: z.string().optional(),
      repeat: z.object({ pattern: z.string(), size: z.number().int().nonnegative() }).optional(),
      lfs: z.boolean().optional(),
      security: z.enum(["safe", "unsafe", "caution"]).optional(),
    })
    .strict()
    .refine(
      (s) => [s.text, s.source, s.base64, s.repeat].filter((v) => v !== undefined).length === 1,
      "exactly one of text, source, base64, repeat",
    ),
]);
export type FileSpec = z.infer<typeof FileSpecSchema>;

const CommitSpecSchema = z
  .object({
    key: z.string().min(1),
    parent: z.string().nullable().optional(),
    message: z.string().min(1),
    author: z.string().default("fixture-bot"),
    date: z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/),
    files: z.record(z.string(), FileSpecSchema.nullable()),
  })
  .strict();

const RepoSpecSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/),
    purpose: z.string(),
    private: z.boolean().default(false),
    gated: z.union([z.literal(false), z.literal("auto"), z.literal("manual")]).default(false),
    disabled: z.boolean().default(false),
    defaultBranch: z.string().default("main"),
    info: z
      .object({
        pipeline_tag: z.string().optional(),
        library_name: z.string().optional(),
        tags: z.array(z.string()).default([]),
        downloads: z.number().int().default(0),
        likes: z.number().int().default(0),
        createdAt: z.string().optional(),
        cardData: z.record(z.string(), z.unknown()).optional(),
      })
      .strict()
      .default({ tags: [], downloads: 0, likes: 0 }),
    commits: z.array(CommitSpecSchema).min(1),
    branches: z.record(z.string(), z.string()),
    tags: z.record(z.string(), z.string()).default({}),
    pullRequests: z.record(z.string().regex(/^\d+$/), z.string()).default({}),
  })
  .strict();
export type RepoSpec = z.infer<typeof RepoSpecSchema>;

function repeatBytes(pattern: string, size: number): Buffer {
  const unit = Buffer.from(pattern, "utf8");
  if (unit.length === 0) throw new Error("repeat pattern must not be empty");
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = unit[i % unit.length]!;
  return out;
}

export function loadRepoSpec(file: string, projectRoot: string): Repo {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new Error(`fixture hub: cannot read ${file}`, { cause });
  }
  const parsed = RepoSpecSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `fixture hub: ${file}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  }
  const spec = parsed.data;
  const fixturesRoot = resolve(projectRoot, "fixtures");
  const readSpec = (path: string, fileSpec: FileSpec): StoredFile => {
    if (typeof fileSpec === "string") return makeStoredFile(path, Buffer.from(fileSpec, "utf8"));
    let bytes: Buffer;
    if (fileSpec.text !== undefined) bytes = Buffer.from(fileSpec.text, "utf8");
    else if (fileSpec.base64 !== undefined) bytes = Buffer.from(fileSpec.base64, "base64");
    else if (fileSpec.repeat) bytes = repeatBytes(fileSpec.repeat.pattern, fileSpec.repeat.size);
    else {
      const src = resolve(projectRoot, fileSpec.source!);
      if (!src.startsWith(fixturesRoot + sep)) {
        throw new Error(`fixture hub: ${file}: source ${fileSpec.source} is outside fixtures/`);
      }
      try {
        bytes = readFileSync(src);
      } catch (cause) {
        throw new Error(`fixture hub: ${file}: missing source ${fileSpec.source}`, { cause });
      }
    }
    return makeStoredFile(path, bytes, { lfs: fileSpec.lfs, security: fileSpec.security });
  };

  const byKey = new Map<string, Commit>();
  const commits = new Map<string, Commit>();
  let previous: Commit | null = null;
  for (const c of spec.commits) {
    if (byKey.has(c.key)) throw new Error(`fixture hub: ${file}: duplicate commit key ${c.key}`);
    let parent: Commit | null = previous;
    if (c.parent !== undefined) {
      parent = c.parent === null ? null : (byKey.get(c.parent) ?? null);
      if (c.parent !== null && !parent) {
        throw new Error(`fixture hub: ${file}: commit ${c.key} has unknown parent ${c.parent}`);
      }
    }
    const changes = new Map<string, StoredFile | null>();
    for (const [path, fs] of Object.entries(c.files)) {
      changes.set(path, fs === null ? null : readSpec(path, fs));
    }
    const commit = buildCommit({
      parent,
      message: c.message,
      author: c.author,
      date: c.date,
      changes,
    });
    byKey.set(c.key, commit);
    commits.set(commit.id, commit);
    previous = commit;
  }
  const refMap = (refs: Record<string, string>, kind: string): Map<string, string> => {
    const out = new Map<string, string>();
    for (const [name, key] of Object.entries(refs)) {
      const commit = byKey.get(key);
      if (!commit) throw new Error(`fixture hub: ${file}: ${kind} ${name} → unknown commit ${key}`);
      out.set(name, commit.id);
    }
    return out;
  };
  const branches = refMap(spec.branches, "branch");
  if (!branches.has(spec.defaultBranch)) {
    throw new Error(`fixture hub: ${file}: default branch ${spec.defaultBranch} missing`);
  }
  return {
    id: spec.id,
    mongoId: sha1Hex(`repo:${spec.id}`).slice(0, 24),
    purpose: spec.purpose,
    private: spec.private,
    gated: spec.gated,
    disabled: spec.disabled,
    defaultBranch: spec.defaultBranch,
    info: spec.info,
    createdAt: spec.info.createdAt ?? spec.commits[0]!.date,
    commits,
    vanished: new Set(),
    branches,
    tags: refMap(spec.tags, "tag"),
    pullRequests: refMap(spec.pullRequests, "pull request"),
  };
}

/** Loads every `<dir>/<org>/<name>/repo.json`; checks the directory matches the declared id. */
export function loadRepos(dir: string, projectRoot: string): Map<string, Repo> {
  const repos = new Map<string, Repo>();
  for (const org of readdirSync(dir).sort()) {
    const orgDir = join(dir, org);
    if (!statSync(orgDir).isDirectory()) continue;
    for (const name of readdirSync(orgDir).sort()) {
      const file = join(orgDir, name, "repo.json");
      try {
        statSync(file);
      } catch {
        continue;
      }
      const repo = loadRepoSpec(file, projectRoot);
      if (repo.id !== `${org}/${name}`) {
        throw new Error(`fixture hub: ${file} declares id ${repo.id}, expected ${org}/${name}`);
      }
      repos.set(repo.id, repo);
    }
  }
  return repos;
}
