#!/usr/bin/env python3
"""Copies a compact subset of generated corpora into fixtures/realworld/ for `npm test`.

Usage: python3 tools/corpus/subset.py CORPUS_DIR[=NAME] ... [--max-bytes N]

Every file of at most --max-bytes (default 64000) is copied to fixtures/realworld/NAME/PATH, and
fixtures/realworld/manifest.json lists it with its library, version, the call that wrote it, its
sha256 (checked against the corpus manifest) and the Python that ran the generator. Files listed in
GAPS are formats modelvet cannot read yet: they are copied too and listed under "gaps" with the
reason, so test/scan/realworld/ checks they still block (fail closed) and notices when they pass.
Uses only the standard library; copies bytes, never regenerates them.
"""
import hashlib
import json
import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "fixtures", "realworld")

# path inside a corpus -> why it does not scan clean yet (it must block: unscannable or suspicious).
GAPS = {
    # Empty since the LightGBM Booster pickles are read (their model text is checked): see the
    # README calibration section. A new gap goes here with the reason it still blocks.
}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main(argv):
    max_bytes = 64000
    corpora = []
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--max-bytes":
            max_bytes = int(args.pop(0))
        else:
            path, _, name = a.partition("=")
            corpora.append((path, name or os.path.basename(os.path.normpath(path))))
    if not corpora:
        sys.exit(__doc__)
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    files, gaps = [], []
    for path, name in corpora:
        with open(os.path.join(path, "manifest.json")) as f:
            manifest = json.load(f)
        for entry in manifest["entries"]:
            for item in entry.get("files", []):
                src = os.path.join(path, item["path"])
                if item["size"] > max_bytes or not os.path.isfile(src):
                    continue
                digest = sha256(src)
                if digest != item["sha256"]:
                    sys.exit(f"{src}: sha256 differs from the corpus manifest")
                dst = os.path.join(OUT, name, item["path"])
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copyfile(src, dst)
                record = {
                    "path": f"{name}/{item['path']}",
                    "sha256": digest,
                    "size": item["size"],
                    "entry": entry["entry"],
                    "library": entry.get("library"),
                    "version": entry.get("version"),
                    "call": entry.get("call"),
                    "python": manifest.get("python"),
                }
                if item["path"] in GAPS:
                    record["gap"] = GAPS[item["path"]]
                    gaps.append(record)
                else:
                    files.append(record)
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(
            {
                "comment": "Copied from the real-world corpus by tools/corpus/subset.py; every file in `files` must scan clean, every file in `gaps` must still block.",
                "files": files,
                "gaps": gaps,
            },
            f,
            indent=1,
            sort_keys=True,
        )
        f.write("\n")
    total = sum(r["size"] for r in files + gaps)
    print(f"{len(files)} files + {len(gaps)} gaps, {total} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
