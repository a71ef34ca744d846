/**
 * `npm run conformance` (issue #15): does the official Hugging Face client read what modelvet
 * writes, and modelvet what the official client writes, with the fixture Hub standing in for the
 * real one? Not part of `npm test`: it needs a Python venv with huggingface_hub, transformers and
 * torch (see DEVELOPERS.md; MODELVET_CONFORMANCE_VENV, default .venv-conformance).
 *
 * 1. builds a real tiny transformers model (tools/conformance/make_tiny_model.py) and serves it,
 *    with the bundled fixture repos, from the fixture Hub in this process (CDN on another host);
 * 2. runs the official client against the Hub (tools/conformance/client.py online), Xet off, then
 *    Xet advertised by the Hub with HF_HUB_DISABLE_XET=1 (read token from headers; bytes from the
 *    LFS CDN), then Xet on: hf_xet downloads through the fixture Hub's Xet CAS, and the requests
 *    the Hub recorded show every LFS file reconstructed there and nothing uploaded;
 * 3. modelvet (the built CLI) pulls by name and from a lock into fresh caches, and the official
 *    client reads them offline (snapshot_download, try_to_load_from_cache, scan_cache_dir,
 *    `hf cache verify`) and transformers loads the model offline by name, branch and commit;
 * 4. the reverse: caches the official client wrote (with and without symlinks, and transformers'
 *    partial snapshot) pass `modelvet verify-cache` and `modelvet ci --offline`.
 *
 * One line per check (`ok` / `FAIL` + name + reason); exit 1 on any failure, 2 when it cannot run.
 */
import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type FixtureHub, startFixtureHub } from "../../test/helpers/fixture-hub/index.js";
import { advertisedXetHashes, xetTransferChecks } from "./xet-checks.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const HERE = join(ROOT, "tools", "conformance");
const BIN = join(ROOT, "bin", "modelvet.js");
const MODEL = "conformance/tiny-gpt2";
const TIMEOUT_MS = Number(process.env.MODELVET_CONFORMANCE_TIMEOUT ?? 600) * 1000;
const WHEELHOUSE =
  "--index-url file:///opt/pypi/simple --extra-index-url file:///opt/pypi-more/simple";

const venv = resolve(ROOT, process.env.MODELVET_CONFORMANCE_VENV || ".venv-conformance");
const python = join(venv, "bin", "python");

let failures = 0;
let checks = 0;

function report(line: string): void {
  const m = /^(ok|FAIL) /.exec(line);
  if (!m) return;
  checks++;
  if (m[1] === "FAIL") failures++;
  process.stdout.write(`${line}\n`);
}

function okOrFail(name: string, passed: boolean, reason: string): void {
  report(passed ? `ok ${name}` : `FAIL ${name}: ${reason.replace(/\s+/g, " ").slice(0, 300)}`);
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a child asynchronously (the fixture Hub lives in this process), killing it on timeout. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Promise<Run> {
  const started = Date.now();
  return new Promise((done, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      done({ status, stdout, stderr, ms: Date.now() - started });
    });
  });
}

function tail(text: string, lines = 3): string {
  return text.trim().split("\n").slice(-lines).join(" | ");
}

function venvMissing(): string | null {
  if (!existsSync(python)) return `no Python at ${python}`;
  return null;
}

function howToBuildVenv(problem: string): string {
  return [
    `conformance: ${problem}.`,
    "Build the venv from the local wheelhouse (no internet needed), then run again:",
    "",
    `  python3 -m venv ${relative(process.cwd(), venv) || venv}`,
    `  ${relative(process.cwd(), venv) || venv}/bin/pip install ${WHEELHOUSE} \\`,
    "      huggingface_hub transformers torch safetensors hf_xet",
    "",
    "or point MODELVET_CONFORMANCE_VENV at an existing venv that has them (see DEVELOPERS.md).",
    "",
  ].join("\n");
}

/** The environment every child gets: this Hub, its own cache and HF_HOME, no token, no proxy. */
function childEnv(work: string, hub: FixtureHub, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(HF_|HUGGINGFACE_|TRANSFORMERS_)|_proxy$|_PROXY$/.test(key)) delete env[key];
  }
  return {
    ...env,
    HF_ENDPOINT: hub.url,
    HF_HOME: join(work, "hf-home"),
    HF_HUB_DISABLE_TELEMETRY: "1",
    HF_HUB_DISABLE_PROGRESS_BARS: "1",
    HF_HUB_DISABLE_IMPLICIT_TOKEN: "1",
    TRANSFORMERS_VERBOSITY: "error",
    NO_COLOR: "1",
    CI: "true",
    ...extra,
  };
}

interface RepoSpec {
  id: string;
  commit: string;
  files: Record<string, string>;
  branches?: string[];
}

/** Every file of a repo at a revision with the sha256 the fixture Hub computed for it. */
async function repoSpec(hub: FixtureHub, id: string, branches?: string[]): Promise<RepoSpec> {
  const commit = hub.resolve(id, "main");
  const res = await fetch(`${hub.url}/api/models/${id}/tree/${commit}?recursive=true`);
  if (!res.ok) throw new Error(`tree of ${id}: HTTP ${res.status}`);
  const items = (await res.json()) as Array<{ type: string; path: string }>;
  const files: Record<string, string> = {};
  for (const item of items) {
    if (item.type === "file") files[item.path] = hub.file(id, commit, item.path).sha256;
  }
  return { id, commit, files, ...(branches ? { branches } : {}) };
}

async function pythonPhase(
  phase: string,
  spec: unknown,
  work: string,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const file = join(work, `spec-${phase}-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(spec, null, 2));
  const result = await run(python, [join(HERE, "client.py"), phase, file], env);
  for (const line of result.stdout.split("\n")) report(line);
  if (result.status !== 0) {
    const label = (spec as { label?: string }).label ?? phase;
    okOrFail(
      `${label}: python phase ${phase} ran to the end`,
      false,
      `exit ${result.status}: ${tail(result.stderr)}`,
    );
  }
}

async function modelvet(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  expected = 0,
): Promise<Run> {
  const result = await run(process.execPath, [BIN, ...args], env, cwd);
  okOrFail(
    name,
    result.status === expected,
    `modelvet ${args.join(" ")} exited ${result.status} (expected ${expected}): ${tail(`${result.stdout}\n${result.stderr}`)}`,
  );
  return result;
}

/**
 * Xet on, the CAS serving other bytes than every digest the Hub advertises (hub.tamper): what
 * the official client does with them is recorded as a note (hf_xet 1.6.0 writes them into the
 * cache), and modelvet verify-cache must call that cache corrupt (exit 1, CACHE_CORRUPT).
 */
async function xetTamperPhase(hub: FixtureHub, work: string): Promise<void> {
  const repo = "acme/tiny-safetensors";
  const path = "model.safetensors";
  const advertised = hub.file(repo, "main", path).sha256;
  hub.tamper(repo, path);
  try {
    const env = childEnv(work, hub, { HF_HUB_CACHE: join(work, "cache-xet-tampered") });
    const script = [
      "import hashlib, sys",
      "from huggingface_hub import hf_hub_download",
      "p = hf_hub_download(sys.argv[1], sys.argv[2])",
      "print(hashlib.sha256(open(p, 'rb').read()).hexdigest())",
    ].join("\n");
    const got = await run(python, ["-c", script, repo, path], env);
    const written = got.status === 0 ? got.stdout.trim().split("\n").pop() : undefined;
    if (written === undefined) {
      process.stdout.write(
        `note: with Xet on, the official client refused the tampered bytes (${tail(got.stderr, 1)}); nothing to verify\n`,
      );
      return;
    }
    process.stdout.write(
      written === advertised
        ? "note: with Xet on, the official client got the advertised bytes despite the tamper\n"
        : `note: with Xet on, the official client accepted bytes whose sha256 is ${written.slice(0, 12)}…, not the advertised ${advertised.slice(0, 12)}…\n`,
    );
    const verify = await modelvet(
      "hub (Xet on, tampered CAS bytes): modelvet verify-cache calls the official client's download corrupt",
      ["verify-cache", repo],
      env,
      work,
      written === advertised ? 0 : 1,
    );
    if (written !== advertised)
      okOrFail(
        "hub (Xet on, tampered CAS bytes): the finding is CACHE_CORRUPT on that file",
        /CACHE_CORRUPT/.test(verify.stdout) && verify.stdout.includes(path),
        tail(verify.stdout, 5),
      );
  } finally {
    hub.untamper(repo, path);
  }
}

async function main(): Promise<number> {
  const missing = venvMissing();
  if (missing) {
    process.stderr.write(howToBuildVenv(missing));
    return 2;
  }
  const probe = await run(
    python,
    [
      "-c",
      "import huggingface_hub, transformers, torch; print(huggingface_hub.__version__, transformers.__version__, torch.__version__)",
    ],
    process.env,
  );
  if (probe.status !== 0) {
    process.stderr.write(howToBuildVenv(`${python} lacks a package: ${tail(probe.stderr, 1)}`));
    return 2;
  }
  if (!existsSync(join(ROOT, "dist", "cli", "main.js"))) {
    process.stderr.write(
      "conformance: dist/ is missing; run `npm run build` first (npm run conformance does).\n",
    );
    return 2;
  }
  const [hfVersion, tfVersion, torchVersion] = probe.stdout.trim().split(" ");
  process.stdout.write(
    `conformance: huggingface_hub ${hfVersion}, transformers ${tfVersion}, torch ${torchVersion} (${venv})\n`,
  );

  const work = mkdtempSync(join(tmpdir(), "modelvet-conformance-"));
  const hub = await startFixtureHub();
  try {
    // 1. a real tiny transformers model, served by the fixture Hub
    const built = join(work, "built-model");
    const make = await run(python, [join(HERE, "make_tiny_model.py"), built], {
      ...process.env,
      HF_HUB_DISABLE_PROGRESS_BARS: "1",
      TRANSFORMERS_VERBOSITY: "error",
    });
    if (make.status !== 0) {
      okOrFail("build the tiny transformers model", false, tail(make.stderr));
      return 1;
    }
    const files: Record<string, Buffer> = {};
    for (const name of readdirSync(built)) files[name] = readFileSync(join(built, name));
    hub.addRepo({
      id: MODEL,
      files,
      message: "Upload GPT2LMHeadModel",
      branches: ["stable"],
      info: {
        library_name: "transformers",
        pipeline_tag: "text-generation",
        tags: ["transformers", "safetensors", "gpt2"],
      },
    });
    okOrFail(
      `build ${MODEL} with transformers and serve it (${Object.keys(files).join(", ")})`,
      true,
      "",
    );
    process.stdout.write(`conformance: fixture Hub ${hub.url}, CDN ${hub.cdnUrl}, work ${work}\n`);

    const tiny = await repoSpec(hub, MODEL, ["main", "stable"]);
    const online = [
      tiny,
      await repoSpec(hub, "acme/tiny-safetensors"),
      await repoSpec(hub, "google-bert/fixture-tiny-bert"),
    ];
    const tokens: Record<string, string> = {};
    for (const [token, grant] of Object.entries(hub.tokens)) tokens[grant.user] = token;
    const common = {
      endpoint: hub.url,
      tokens,
      gated: { id: "acme/gated-model", file: "config.json" },
      private: { id: "acme/private-model" },
    };

    // 2. the official client against the fixture Hub, Xet off, then Xet on
    await pythonPhase(
      "online",
      { ...common, label: "hub", repos: online },
      work,
      childEnv(work, hub, { HF_HUB_CACHE: join(work, "cache-online") }),
    );
    hub.knobs.xet = true;
    await pythonPhase(
      "online",
      { ...common, label: "hub (Xet advertised, HF_HUB_DISABLE_XET=1)", repos: online, xet: true },
      work,
      childEnv(work, hub, {
        HF_HUB_CACHE: join(work, "cache-online-xet-off"),
        HF_HUB_DISABLE_XET: "1",
      }),
    );
    const hashes = await advertisedXetHashes(hub, online);
    const xetOnFrom = hub.requests.length;
    await pythonPhase(
      "online",
      { ...common, label: "hub (Xet on)", repos: online, xet: true, xetTransfer: true },
      work,
      childEnv(work, hub, { HF_HUB_CACHE: join(work, "cache-online-xet") }),
    );
    xetTransferChecks(okOrFail, "hub (Xet on)", hub.requests.slice(xetOnFrom), hashes);
    // hf_xet asks v2 first and falls back to v1 on 404: a CAS that only knows v1
    hub.knobs.xetReconstructionV2 = false;
    const v1From = hub.requests.length;
    await pythonPhase(
      "online",
      {
        ...common,
        label: "hub (Xet on, v1-only CAS)",
        repos: [tiny],
        xet: true,
        xetTransfer: true,
      },
      work,
      childEnv(work, hub, { HF_HUB_CACHE: join(work, "cache-online-xet-v1") }),
    );
    const tinyHashes = new Map([...hashes].filter(([k]) => k.startsWith(`${MODEL}/`)));
    xetTransferChecks(
      okOrFail,
      "hub (Xet on, v1-only CAS)",
      hub.requests.slice(v1From),
      tinyHashes,
      1,
    );
    hub.knobs.xetReconstructionV2 = true;
    await xetTamperPhase(hub, work);
    hub.knobs.xet = false;

    // 3. modelvet writes, the official client reads
    const project = join(work, "project");
    mkdirSync(project);
    writeFileSync(
      join(project, "modelvet.json"),
      `${JSON.stringify({ models: {}, policy: { organizations: { add: [{ name: "conformance", reason: "the conformance run's own model" }] } } }, null, 2)}\n`,
    );
    const byName = join(work, "cache-modelvet-by-name");
    const mvByName = childEnv(work, hub, { HF_HUB_CACHE: byName });
    await modelvet(`modelvet pull ${MODEL}`, ["pull", MODEL], mvByName, project);
    await modelvet(`modelvet pull ${MODEL}@stable`, ["pull", `${MODEL}@stable`], mvByName, project);
    await modelvet(
      `modelvet add ${MODEL} (writes models.lock)`,
      ["add", MODEL],
      childEnv(work, hub, { HF_HUB_CACHE: join(work, "cache-add") }),
      project,
    );
    const fromLock = join(work, "cache-modelvet-from-lock");
    await modelvet(
      "modelvet pull (install from models.lock)",
      ["pull"],
      childEnv(work, hub, { HF_HUB_CACHE: fromLock }),
      project,
    );
    const before = hub.requests.length;
    const offlinePull = await run(
      process.execPath,
      [BIN, "pull"],
      childEnv(work, hub, { HF_HUB_CACHE: fromLock, HF_HUB_OFFLINE: "1" }),
      project,
    );
    const contacted = hub.requests.length - before;
    okOrFail(
      "HF_HUB_OFFLINE=1 modelvet pull (from the lock, cache complete): exit 0 and no request to the Hub",
      offlinePull.status === 0 && contacted === 0,
      `exit ${offlinePull.status} after ${offlinePull.ms} ms, ${contacted} requests to the Hub: ${tail(offlinePull.stderr, 2)}`,
    );

    for (const [label, cache, branches] of [
      ["modelvet cache (pull by name)", byName, ["main", "stable"]],
      ["modelvet cache (pull from lock)", fromLock, ["main"]],
    ] as const) {
      const spec = { ...tiny, branches: [...branches] };
      await pythonPhase(
        "offline",
        { label, cache, repos: [spec] },
        work,
        childEnv(work, hub, { HF_HUB_CACHE: cache, HF_HUB_OFFLINE: "1" }),
      );
      const verify = await run(
        join(venv, "bin", "hf"),
        [
          "cache",
          "verify",
          MODEL,
          "--cache-dir",
          cache,
          "--revision",
          tiny.commit,
          "--fail-on-missing-files",
          "--fail-on-extra-files",
        ],
        childEnv(work, hub, { HF_HUB_CACHE: cache }),
      );
      okOrFail(
        `${label}: hf cache verify ${MODEL}`,
        verify.status === 0,
        `exit ${verify.status}: ${tail(`${verify.stdout}\n${verify.stderr}`)}`,
      );
      await pythonPhase(
        "load",
        { label, cache, repo: MODEL, commit: tiny.commit, branches: [...branches], built },
        work,
        childEnv(work, hub, { HF_HUB_CACHE: cache, HF_HUB_OFFLINE: "1" }),
      );
    }

    // 4. the official client writes, modelvet reads
    const official = [tiny, await repoSpec(hub, "acme/tiny-safetensors")];
    for (const [label, dir, extra] of [
      ["official cache (symlinks)", "cache-official", {}],
      [
        "official cache (HF_HUB_DISABLE_SYMLINKS=1)",
        "cache-official-nosymlinks",
        { HF_HUB_DISABLE_SYMLINKS: "1" },
      ],
    ] as const) {
      const cache = join(work, dir);
      await pythonPhase(
        "write",
        { label, cache, snapshot: official },
        work,
        childEnv(work, hub, { HF_HUB_CACHE: cache, ...extra }),
      );
      const env = childEnv(work, hub, { HF_HUB_CACHE: cache });
      for (const repo of official) {
        await modelvet(
          `${label}: modelvet verify-cache ${repo.id}`,
          ["verify-cache", repo.id],
          env,
          project,
        );
        await modelvet(
          `${label}: modelvet verify-cache --offline ${repo.id}`,
          ["verify-cache", "--offline", repo.id],
          env,
          project,
        );
      }
      await modelvet(`${label}: modelvet ci --offline`, ["ci", "--offline"], env, project);
    }
    const partial = join(work, "cache-transformers");
    await pythonPhase(
      "write",
      { label: "transformers cache", cache: partial, transformers: [MODEL] },
      work,
      childEnv(work, hub, { HF_HUB_CACHE: partial }),
    );
    const partialEnv = childEnv(work, hub, { HF_HUB_CACHE: partial });
    await modelvet(
      `transformers cache (partial snapshot, no README.md): modelvet verify-cache ${MODEL}`,
      ["verify-cache", MODEL],
      partialEnv,
      project,
    );
    await modelvet(
      `transformers cache (partial snapshot, no README.md): modelvet verify-cache --offline ${MODEL}`,
      ["verify-cache", "--offline", MODEL],
      partialEnv,
      project,
    );
  } finally {
    await hub.close();
    if (process.env.MODELVET_CONFORMANCE_KEEP) process.stdout.write(`conformance: kept ${work}\n`);
    else rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(
    `conformance: ${checks - failures}/${checks} checks passed, ${failures} failed\n`,
  );
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `conformance: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(2);
  },
);
