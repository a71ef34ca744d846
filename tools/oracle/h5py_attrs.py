#!/usr/bin/env python3
"""Print what h5py (and so Keras's legacy .h5 loader) sees in HDF5 files: an oracle by hand.

Usage: /work/venv/bin/python tools/oracle/h5py_attrs.py FILE.h5 [FILE ...]
       (or /usr/bin/python3 with Debian's python3-h5py)

For each file: the HDF5 library version, the root attribute names h5py lists, each root attribute
Keras reads (model_config, training_config, keras_version, backend) looked up by name as Keras does
(`f.attrs[name]`, which does not depend on listing), with its type, length and start, and whether
"Lambda" appears in model_config. Errors are printed, not raised, so one damaged file does not
stop the rest. Never loads a model: it only reads attributes.

Run it under `timeout` on hostile files: h5py uses the same HDF5 C library, which can loop on
damaged structures.
"""

import sys

KERAS_ATTRS = ("model_config", "training_config", "keras_version", "backend", "layer_names")


def describe(value) -> str:
    if isinstance(value, bytes):
        text = value.decode("utf-8", "replace")
    elif isinstance(value, str):
        text = value
    else:
        return f"{type(value).__name__}: {value!r}"[:120]
    kind = "bytes" if isinstance(value, bytes) else "str"
    lam = ' [contains "Lambda"]' if "Lambda" in text else ""
    return f"{kind}[{len(text)}] {text[:80]!r}{lam}"


def show(path: str) -> None:
    import h5py

    print(f"== {path} (h5py {h5py.__version__}, HDF5 {h5py.version.hdf5_version})")
    try:
        f = h5py.File(path, "r")
    except Exception as error:  # noqa: BLE001 - an oracle reports every failure
        print(f"  open failed: {type(error).__name__}: {error}")
        return
    with f:
        try:
            print(f"  root attributes listed: {list(f.attrs.keys())}")
        except Exception as error:  # noqa: BLE001
            print(f"  listing root attributes failed: {type(error).__name__}: {error}")
        try:
            print(f"  root keys: {list(f.keys())}")
        except Exception as error:  # noqa: BLE001
            print(f"  listing root keys failed: {type(error).__name__}: {error}")
        for name in KERAS_ATTRS:
            try:
                present = name in f.attrs
            except Exception as error:  # noqa: BLE001
                print(f"  {name}: lookup failed: {type(error).__name__}: {error}")
                continue
            if not present:
                print(f"  {name}: absent")
                continue
            try:
                print(f"  {name}: {describe(f.attrs[name])}")
            except Exception as error:  # noqa: BLE001
                print(f"  {name}: present, read failed: {type(error).__name__}: {error}")


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    for path in argv:
        show(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
