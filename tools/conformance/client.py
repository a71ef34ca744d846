"""The official Python client's side of `npm run conformance` (issue #15).

    python client.py PHASE SPEC_JSON_FILE

Run by tools/conformance/run.ts with HF_ENDPOINT, HF_HUB_CACHE, HF_HOME (and HF_HUB_OFFLINE,
HF_HUB_DISABLE_XET, HF_HUB_DISABLE_SYMLINKS where a phase needs them) already in the environment,
because huggingface_hub reads them once at import. Prints one line per check:

    ok <name>
    FAIL <name>: <short reason>

and exits 0 even when checks fail (run.ts counts them); any other exit is a crash of the phase.
Phases:
  online   the official client against the fixture Hub: model_info, list_repo_tree, list_repo_refs,
           hf_hub_download of every file, snapshot_download, gated and private repos with and
           without tokens (and, with "xet": true in the spec, the Xet metadata and token headers;
           with "xetTransfer": true, hf_xet must be enabled: the bytes then come from the fixture
           Hub's Xet CAS, which run.ts checks in the requests the Hub recorded)
  offline  reads a cache someone else wrote, with HF_HUB_OFFLINE=1: snapshot_download(
           local_files_only=True), try_to_load_from_cache, scan_cache_dir
  load     transformers from_pretrained offline by name, by branch, by commit; weights compared
           with the model as built
  write    the official client fills a cache (snapshot_download, or transformers from_pretrained)
"""

import hashlib
import importlib.metadata
import json
import os
import sys
import traceback


def ok(name):
    print(f"ok {name}", flush=True)


def fail(name, reason):
    flat = " ".join(str(reason).split())
    print(f"FAIL {name}: {flat[:300]}", flush=True)


def check(name, fn):
    """Runs fn(); a result other than True/None, or an exception, is a FAIL with the reason."""
    try:
        result = fn()
    except Exception as err:  # noqa: BLE001 - every failure is reported, none stops the phase
        fail(name, f"{type(err).__name__}: {err}")
        return False
    if result is True or result is None:
        ok(name)
        return True
    fail(name, result)
    return False


check_named = check


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def same_files(folder, files):
    """None when every expected file is under folder with its sha256, else what differs."""
    for path, digest in files.items():
        full = os.path.join(folder, path)
        if not os.path.isfile(full):
            return f"{path} missing in {folder}"
        actual = sha256_file(full)
        if actual != digest:
            return f"{path}: sha256 {actual[:12]}… expected {digest[:12]}…"
    return None


def expect_error(fn, *classes):
    try:
        fn()
    except classes as err:
        status = getattr(getattr(err, "response", None), "status_code", None)
        return ("raised", type(err).__name__, status)
    except Exception as err:  # noqa: BLE001
        return ("other", f"{type(err).__name__}: {err}", None)
    return ("none", None, None)


# ---------------------------------------------------------------------------------------------
def phase_online(spec):
    import huggingface_hub as hh
    from huggingface_hub.utils import GatedRepoError, RepositoryNotFoundError

    api = hh.HfApi(endpoint=spec["endpoint"], token=False)
    label = spec["label"]

    def check(name, fn):  # noqa: F811 - the phase's checks carry its label
        return check_named(f"{label}: {name}", fn)

    if spec.get("xetTransfer"):

        def xet_enabled():
            from huggingface_hub import constants
            from huggingface_hub.utils._runtime import is_xet_available

            if constants.HF_HUB_DISABLE_XET:
                return "HF_HUB_DISABLE_XET is set"
            import hf_xet  # noqa: F401 - the download path this phase exercises

            version = importlib.metadata.version("hf_xet")
            return True if is_xet_available() else f"hf_xet {version} present but not available"

        check("hf_xet installed and enabled (downloads go through Xet)", xet_enabled)

    for repo in spec["repos"]:
        rid, commit, files = repo["id"], repo["commit"], repo["files"]

        def info():
            got = api.model_info(rid)
            return True if got.sha == commit else f"sha {got.sha}, expected {commit}"

        check(f"model_info {rid}", info)

        def info_short():
            got = api.model_info(rid, revision=commit[:7])
            return True if got.sha == commit else f"sha {got.sha} for {commit[:7]}"

        check(f"model_info {rid} at short commit {commit[:7]}", info_short)

        def tree():
            items = list(api.list_repo_tree(rid, recursive=True))
            paths = sorted(i.path for i in items if isinstance(i, hh.hf_api.RepoFile))
            if paths != sorted(files):
                return f"files {paths}, expected {sorted(files)}"
            for i in items:
                if isinstance(i, hh.hf_api.RepoFile) and i.lfs is not None:
                    if i.lfs.sha256 != files[i.path]:
                        return f"{i.path}: lfs sha256 {i.lfs.sha256}"
            return True

        check(f"list_repo_tree {rid}", tree)

        def refs():
            got = api.list_repo_refs(rid)
            branches = {b.name: b.target_commit for b in got.branches}
            return True if branches.get("main") == commit else f"branches {branches}"

        check(f"list_repo_refs {rid}", refs)

        for path, digest in sorted(files.items()):

            def download(path=path, digest=digest):
                local = hh.hf_hub_download(rid, path, token=False)
                if f"/snapshots/{commit}/" not in local.replace(os.sep, "/"):
                    return f"landed at {local}, not under snapshots/{commit}"
                got = sha256_file(local)
                return True if got == digest else f"sha256 {got}"

            check(f"hf_hub_download {rid} {path}", download)

        def snapshot():
            folder = hh.snapshot_download(rid, token=False)
            if os.path.basename(folder) != commit:
                return f"snapshot folder {folder}"
            return same_files(folder, files) or True

        check(f"snapshot_download {rid}", snapshot)

        if spec.get("xet"):
            lfs_path = next((p for p in sorted(files) if p.endswith(".safetensors")), None)
            if lfs_path is not None:
                check(f"xet metadata and read token {rid} {lfs_path}", lambda: xet_token(hh, spec, rid, lfs_path))

    tokens = spec["tokens"]
    gated, private = spec["gated"], spec["private"]

    def gated_case(token, want_error, want_status):
        def run():
            res = expect_error(
                lambda: hh.hf_hub_download(gated["id"], gated["file"], token=token),
                GatedRepoError,
            )
            if not want_error:
                if res[0] != "none":
                    return f"expected a download, got {res}"
                return True
            if res[0] != "raised" or res[2] != want_status:
                return f"expected GatedRepoError {want_status}, got {res}"
            return True

        return run

    check(f"gated {gated['id']} without a token: GatedRepoError 401", gated_case(False, True, 401))
    check(f"gated {gated['id']} with a token not approved: GatedRepoError 403", gated_case(tokens["bob"], True, 403))
    check(f"gated {gated['id']} with an approved token: downloads", gated_case(tokens["carol"], False, None))

    def private_case(token, want_error, want_status):
        def run():
            res = expect_error(
                lambda: hh.snapshot_download(private["id"], token=token),
                RepositoryNotFoundError,
            )
            if not want_error:
                return True if res[0] == "none" else f"expected a snapshot, got {res}"
            if res[0] != "raised" or res[2] != want_status:
                return f"expected RepositoryNotFoundError {want_status}, got {res}"
            return True

        return run

    check(f"private {private['id']} without a token: RepositoryNotFoundError 401", private_case(False, True, 401))
    check(f"private {private['id']} with a token without access: RepositoryNotFoundError 404", private_case(tokens["bob"], True, 404))
    check(f"private {private['id']} with the owner's token: snapshot_download", private_case(tokens["alice"], False, None))


def xet_token(hh, spec, rid, path):
    from huggingface_hub.file_download import get_hf_file_metadata, hf_hub_url
    from huggingface_hub.utils import build_hf_headers
    from huggingface_hub.utils._xet import refresh_xet_connection_info

    meta = get_hf_file_metadata(hf_hub_url(rid, path, endpoint=spec["endpoint"]), token=False, endpoint=spec["endpoint"])
    if meta.xet_file_data is None:
        return "no Xet file data (X-Xet-Hash / xet-auth link) on the resolve answer"
    if meta.commit_hash is None or meta.size is None:
        return f"commit {meta.commit_hash}, size {meta.size}"
    info = refresh_xet_connection_info(file_data=meta.xet_file_data, headers=build_hf_headers(token=False))
    if not info.endpoint or not info.access_token or info.expiration_unix_epoch <= 0:
        return f"connection info {info}"
    return True


# ---------------------------------------------------------------------------------------------
def phase_offline(spec):
    import huggingface_hub as hh
    from huggingface_hub import constants

    cache = spec["cache"]
    if not constants.HF_HUB_OFFLINE:
        fail("offline phase", "HF_HUB_OFFLINE is not set")
    for repo in spec["repos"]:
        rid, commit, files = repo["id"], repo["commit"], repo["files"]
        label = f"{spec['label']}: {rid}"

        def snap():
            folder = hh.snapshot_download(rid, local_files_only=True, cache_dir=cache)
            if os.path.basename(folder) != commit:
                return f"snapshot {folder}, expected {commit}"
            return same_files(folder, files) or True

        check(f"{label} snapshot_download(local_files_only=True) by name", snap)

        def snap_commit():
            folder = hh.snapshot_download(rid, revision=commit, local_files_only=True, cache_dir=cache)
            return same_files(folder, files) or True

        check(f"{label} snapshot_download(local_files_only=True) at the commit", snap_commit)

        for rev in repo.get("branches", []):

            def snap_branch(rev=rev):
                folder = hh.snapshot_download(rid, revision=rev, local_files_only=True, cache_dir=cache)
                return True if os.path.basename(folder) == commit else f"snapshot {folder}"

            check(f"{label} snapshot_download(local_files_only=True) at branch {rev}", snap_branch)

        def try_load():
            for path, digest in files.items():
                for rev in (None, commit):
                    got = hh.try_to_load_from_cache(rid, path, cache_dir=cache, revision=rev)
                    if not isinstance(got, str):
                        return f"{path} at {rev or 'main'}: {got!r}"
                    if sha256_file(got) != digest:
                        return f"{path}: wrong bytes"
            return True

        check(f"{label} try_to_load_from_cache every file (main and commit)", try_load)

    def scan():
        info = hh.scan_cache_dir(cache)
        if info.warnings:
            return f"warnings: {[str(w) for w in info.warnings][:3]}"
        for repo in spec["repos"]:
            found = [r for r in info.repos if r.repo_id == repo["id"]]
            if not found:
                return f"{repo['id']} not found"
            revs = {r.commit_hash: r for r in found[0].revisions}
            rev = revs.get(repo["commit"])
            if rev is None:
                return f"{repo['id']}: no revision {repo['commit']}"
            names = {f.file_name for f in rev.files}
            want = {os.path.basename(p) for p in repo["files"]}
            if not want <= names:
                return f"{repo['id']}: files {sorted(names)}"
            refs = set(rev.refs)
            need = set(repo.get("branches", ["main"]))
            if not need <= refs:
                return f"{repo['id']}: refs {sorted(refs)}, expected {sorted(need)} (a revision without refs is detached: hf cache prune deletes it)"
        return True

    check(f"{spec['label']}: scan_cache_dir (no warnings, revisions with their refs)", scan)


# ---------------------------------------------------------------------------------------------
def phase_load(spec):
    import torch
    from transformers import AutoModelForCausalLM

    reference = AutoModelForCausalLM.from_pretrained(spec["built"])
    expected = reference.state_dict()
    rid, cache = spec["repo"], spec["cache"]
    for label, rev in [("by name", None)] + [(f"by branch {b}", b) for b in spec.get("branches", [])] + [("by commit", spec["commit"])]:

        def load(rev=rev):
            kwargs = {"cache_dir": cache, "local_files_only": True}
            if rev is not None:
                kwargs["revision"] = rev
            model = AutoModelForCausalLM.from_pretrained(rid, **kwargs)
            got = model.state_dict()
            for key, tensor in expected.items():
                if key not in got or not torch.equal(got[key], tensor):
                    return f"tensor {key} differs from the model as built"
            with torch.no_grad():
                model(torch.tensor([[1, 2, 3]]))
            return True

        check(f"{spec['label']}: from_pretrained({rid!r}) offline {label}", load)


# ---------------------------------------------------------------------------------------------
def phase_write(spec):
    import huggingface_hub as hh

    cache = spec["cache"]
    for repo in spec.get("snapshot", []):

        def snap(repo=repo):
            folder = hh.snapshot_download(repo["id"], cache_dir=cache, token=False)
            return same_files(folder, repo["files"]) or True

        check(f"{spec['label']}: official snapshot_download {repo['id']}", snap)
    for rid in spec.get("transformers", []):

        def tf(rid=rid):
            from transformers import AutoModelForCausalLM

            AutoModelForCausalLM.from_pretrained(rid, cache_dir=cache)
            return True

        check(f"{spec['label']}: transformers from_pretrained {rid} (online, partial snapshot)", tf)


PHASES = {"online": phase_online, "offline": phase_offline, "load": phase_load, "write": phase_write}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in PHASES:
        print(f"usage: client.py {{{','.join(PHASES)}}} SPEC_JSON_FILE", file=sys.stderr)
        return 2
    with open(sys.argv[2], encoding="utf-8") as f:
        spec = json.load(f)
    try:
        PHASES[sys.argv[1]](spec)
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
