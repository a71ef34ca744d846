#!/work/venv/bin/python
"""Differential oracle: what the real Python readers import and call, file by file, as JSON.

Developer tooling (issue #12), never needed by `npm test`. It runs the real readers on a file
without ever executing its payloads:

- pickle_c_file    the C `_pickle.Unpickler` reading from a real file object (what torch.load of a
                   legacy file, numpy and `pickle.load(open(...))` do; the reader peeks ahead)
- pickle_c_bytes   the C `_pickle.Unpickler` reading from io.BytesIO (torch's data.pkl path)
- pickle_py        the pure-Python `pickle._Unpickler` (joblib's base class)
- joblib           joblib 1.x's NumpyUnpickler walk: pickle._Unpickler whose BUILD of a
                   NumpyArrayWrapper reads the array from the file right there, and for object
                   arrays unpickles a nested stream with a fresh unpickler (its own memo)
- torch_zip        torch._C.PyTorchFileReader (torch.load's own zip reader): record names, and
                   every *.pkl record as torch sees it, unpickled by pickle_c_bytes
- zipfile          Python's zipfile: member names; .pkl members unpickled, .npy members read as npy
- numpy            numpy.lib.format.read_magic / read_array_header_*; object arrays unpickled from
                   the file (np.load(allow_pickle=True) does pickle.load(fp))
- h5py             HDF5 object names and attributes, and the Keras modules/classes model_config names

Every `find_class` is overridden: it records (module, name) and returns a fresh inert stub class
(never the real object). Stubs accept any call, attribute, item or state, so readers keep going
past them exactly as they would past a real callable; calls are recorded by the stub's name.
`persistent_load` records ids and returns a stub. torch.load is never called.

Usage:
  oracle.py FILE...          one JSON object per file on stdout (a JSON list)
  oracle.py --serve [--real-files]
                             batches over stdin/stdout (see serve()); cases are read through
                             BufferedReader(BytesIO) unless --real-files writes each to /dev/shm
  oracle.py --versions       interpreter and library versions
"""

import io
import json
import os
import pickle
import platform
import resource
import signal
import struct
import sys
import tempfile
import time
import zipfile

MAX_STREAMS = 8  # pickles read one after another from one file (torch legacy reads five)
MAX_RECORDS = 64  # globals/calls/ids kept per reader
CASE_SECONDS = 3


def versions():
    out = {"python": platform.python_version(), "executable": sys.executable}
    for mod in ("torch", "numpy", "joblib", "h5py"):
        try:
            out[mod] = __import__(mod).__version__
        except Exception as error:  # noqa: BLE001 - a missing library is a fact to report
            out[mod] = f"unavailable: {type(error).__name__}"
    return out


# --------------------------------------------------------------------------------------------
# Recording stubs


class Recorder:
    def __init__(self):
        self.globals = []
        self.calls = []
        self.pids = []

    def add(self, kind, item):
        target = getattr(self, kind)
        if len(target) < MAX_RECORDS and item not in target:
            target.append(item)


class _Current:
    recorder = Recorder()


def _record_call(name):
    _Current.recorder.add("calls", name)


class _StubType(type):
    def __repr__(cls):
        return f"<global {cls._mv_name}>"


class Stub(metaclass=_StubType):
    """Inert stand-in for any imported object: callable, subscriptable, settable, never real."""

    _mv_name = "?"

    def __new__(cls, *args, **kwargs):
        obj = object.__new__(cls)
        object.__setattr__(obj, "_mv_args", args)
        object.__setattr__(obj, "_mv_state", None)
        return obj

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        _record_call(self._mv_name + "()")
        return _instance(self._mv_name + "()", args)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _instance(f"{self._mv_name}.{name}", ())

    def __setstate__(self, state):
        object.__setattr__(self, "_mv_state", state)

    def __repr__(self):
        return f"<{self._mv_name}>"

    def __setitem__(self, key, value):
        pass

    def __getitem__(self, key):
        return _instance(self._mv_name + "[]", ())

    def append(self, value):
        pass

    def extend(self, values):
        pass

    def add(self, value):
        pass


_CLASSES = {}


def _stub_class(module, name):
    """One stub class per imported (module, name), made once: calling it is a call of the global."""
    key = (module, name)
    cls = _CLASSES.get(key)
    if cls is None:
        if len(_CLASSES) >= 4096:
            # Fuzzed names are mostly unique: an unbounded cache grows into the memory cap.
            _CLASSES.clear()
        cls = type("Stub", (Stub,), {"_mv_name": f"{module}.{name}", "_mv_global": True})
        _CLASSES[key] = cls
    return cls


class Value(Stub):
    """What a stub returns (a call result, an attribute): an instance carrying its own name."""

    def __new__(cls, name, args):
        obj = object.__new__(cls)
        object.__setattr__(obj, "_mv_args", args)
        object.__setattr__(obj, "_mv_state", None)
        object.__setattr__(obj, "_mv_name", name)
        return obj


def _instance(name, args):
    return Value(name, args)


# Calls of a stub class itself (REDUCE, OBJ, INST, NEWOBJ) go through type.__call__ -> __new__.
_orig_new = Stub.__new__


def _recording_new(cls, *args, **kwargs):
    if cls.__dict__.get("_mv_global"):
        _record_call(cls._mv_name)
    return _orig_new(cls, *args, **kwargs)


Stub.__new__ = _recording_new


def _find_class(module, name):
    _Current.recorder.add("globals", [module, name])
    return _stub_class(module, name)


def _persistent_load(pid):
    _Current.recorder.add("pids", _short(pid))
    return _instance("persistent_id", ())


def _short(value):
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a stub inside a tuple may refuse repr; record a marker
        text = "<unrepresentable>"
    return text[:120]


class CUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        return _find_class(module, name)

    def persistent_load(self, pid):
        return _persistent_load(pid)


class PyUnpickler(pickle._Unpickler):
    def find_class(self, module, name):
        return _find_class(module, name)

    def persistent_load(self, pid):
        return _persistent_load(pid)


# --------------------------------------------------------------------------------------------
# Readers


def _error(error):
    return f"{type(error).__name__}: {str(error)[:200]}"


def _result(recorder, **extra):
    out = {"globals": recorder.globals, "calls": recorder.calls, "pids": recorder.pids}
    out.update(extra)
    return out


def _streams(make, f, size):
    """Load pickles one after another from `f` (as a loader reading a stacked file would)."""
    recorder = Recorder()
    _Current.recorder = recorder
    error = None
    streams = 0
    while streams < MAX_STREAMS:
        try:
            start = f.tell()
        except Exception as e:  # noqa: BLE001
            error = _error(e)
            break
        if start >= size:
            break
        try:
            make(f).load()
            streams += 1
        except Exception as e:  # noqa: BLE001 - the reader's own error is the recorded fact
            error = _error(e)
            break
        if streams == 1 and os.environ.get("ORACLE_ONE_STREAM"):
            break
    try:
        offset = f.tell()
    except Exception:  # noqa: BLE001
        offset = None
    return _result(recorder, error=error, offset=offset, streams=streams)


def read_pickle_c_file(opener, size):
    with opener() as f:
        return _streams(CUnpickler, f, size)


def read_pickle_c_bytes(data):
    return _streams(CUnpickler, io.BytesIO(data), len(data))


def read_pickle_py(data):
    return _streams(PyUnpickler, io.BytesIO(data), len(data))


# joblib ----------------------------------------------------------------------------------


class JoblibUnpickler(PyUnpickler):
    """joblib.numpy_pickle.NumpyUnpickler's BUILD hook, replayed on stubs (joblib 1.x)."""

    dispatch = pickle._Unpickler.dispatch.copy()

    def __init__(self, file_handle):
        super().__init__(file_handle)
        self.file_handle = file_handle
        self.arrays = []

    def load_build(self):
        pickle._Unpickler.load_build(self)
        top = self.stack[-1]
        name = getattr(type(top), "_mv_name", "")
        if name not in ("joblib.numpy_pickle.NumpyArrayWrapper",):
            return
        wrapper = self.stack.pop()
        self.stack.append(self._read_array(wrapper))

    dispatch[pickle.BUILD[0]] = load_build

    def _read_array(self, wrapper):
        import numpy as np

        state = wrapper._mv_state
        if isinstance(state, tuple) and len(state) == 2:
            state = state[0]
        if not isinstance(state, dict):
            raise ValueError("NumpyArrayWrapper state is not a dict")
        dtype = _dtype_of(state.get("dtype"))
        shape = state.get("shape")
        if not isinstance(shape, tuple) or not all(isinstance(x, int) for x in shape):
            raise ValueError("NumpyArrayWrapper shape is not a tuple of ints")
        count = 1
        for x in shape:
            count *= x
        info = {"dtype": str(dtype), "shape": list(shape)[:8], "at": self.file_handle.tell()}
        if dtype.hasobject:
            # joblib 1.x: a fresh pickle._Unpickler on the same file, find_class routed through
            # the outer one. Its memo and stack are its own.
            inner = PyUnpickler(self.file_handle)
            inner.load()
            info["nested"] = True
        else:
            if state.get("numpy_array_alignment_bytes") is not None:
                pad = self.file_handle.read(1)
                n = int.from_bytes(pad, "little")
                if n:
                    self.file_handle.read(n)
            want = count * dtype.itemsize
            if want < 0:
                raise ValueError("negative array size")
            got = len(self.file_handle.read(want))
            if got != want:
                raise ValueError(f"EOF: reading array data, expected {want} bytes got {got}")
        info["end"] = self.file_handle.tell()
        self.arrays.append(info)
        return _instance("ndarray", ())


def _dtype_of(value):
    import numpy as np

    args = getattr(value, "_mv_args", None)
    if isinstance(value, Stub) and args and isinstance(args[0], str) and len(args[0]) < 16:
        return np.dtype(args[0])
    raise ValueError(f"NumpyArrayWrapper dtype is not numpy.dtype(<str>): {_short(value)}")


def read_joblib(opener):
    opened = _joblib_open(opener)
    if opened is None:
        return None
    f, compressor = opened
    recorder = Recorder()
    _Current.recorder = recorder
    error = None
    u = None
    try:
        u = JoblibUnpickler(f)
        u.load()
    except Exception as e:  # noqa: BLE001
        error = _error(e)
    try:
        offset = f.tell()
    except Exception:  # noqa: BLE001
        offset = None
    f.close()
    return _result(
        recorder,
        error=error,
        offset=offset,
        compressor=compressor,
        arrays=(u.arrays if u is not None else [])[:16],
    )


def _joblib_open(opener):
    """joblib.load's own decompression (joblib.numpy_pickle_utils._read_fileobject's detection)."""
    from joblib import numpy_pickle_utils as npu

    f = opener()
    try:
        compressor = npu._detect_compressor(f)
    except Exception:  # noqa: BLE001
        compressor = "not-compressed"
    if compressor == "not-compressed":
        return f, None
    if compressor == "compat":
        f.close()
        return None
    try:
        zf = npu._COMPRESSORS[compressor].decompressor_file(f)
        return io.BufferedReader(zf), compressor
    except Exception:  # noqa: BLE001
        f.close()
        return None


# numpy -----------------------------------------------------------------------------------


def read_numpy(opener):
    from numpy.lib import format as npf

    f = opener()
    out = {"globals": [], "calls": [], "pids": [], "error": None}
    try:
        version = npf.read_magic(f)
        out["version"] = list(version)
        if version == (1, 0):
            shape, fortran, dtype = npf.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = npf.read_array_header_2_0(f)
        else:
            shape, fortran, dtype = npf._read_array_header(f, version)
        out["dtype"] = str(dtype)
        out["shape"] = list(shape)[:8]
        out["header_end"] = f.tell()
        if dtype.hasobject:
            recorder = Recorder()
            _Current.recorder = recorder
            try:
                CUnpickler(f).load()
            except Exception as e:  # noqa: BLE001
                out["error"] = _error(e)
            out.update({"globals": recorder.globals, "calls": recorder.calls,
                        "pids": recorder.pids})
    except Exception as e:  # noqa: BLE001
        out["error"] = _error(e)
    f.close()
    return out


# zips ------------------------------------------------------------------------------------


def read_torch_zip(opener):
    import torch

    out = {"globals": [], "calls": [], "pids": [], "error": None, "records": []}
    try:
        reader = torch._C.PyTorchFileReader(opener())
        names = sorted(reader.get_all_records())
        out["records"] = names[:MAX_RECORDS]
        for name in names:
            if not name.endswith(".pkl"):
                continue
            data = bytes(reader.get_record(name))
            res = read_pickle_c_bytes(data)
            out.setdefault("pickles", {})[name] = {
                "size": len(data),
                "error": res["error"],
                "offset": res["offset"],
            }
            for g in res["globals"]:
                if g not in out["globals"]:
                    out["globals"].append(g)
            out["calls"].extend(c for c in res["calls"] if c not in out["calls"])
            out["pids"].extend(p for p in res["pids"] if p not in out["pids"])
    except Exception as e:  # noqa: BLE001
        out["error"] = _error(e)
    return out


def read_zipfile(opener):
    out = {"globals": [], "calls": [], "pids": [], "error": None, "names": []}
    try:
        with zipfile.ZipFile(opener()) as z:
            infos = z.infolist()
            out["names"] = [i.filename for i in infos][:MAX_RECORDS]
            for info in infos[:MAX_RECORDS]:
                if info.file_size > (1 << 20):
                    continue
                lower = info.filename.lower()
                if not (lower.endswith((".pkl", ".npy", ".pickle", ".joblib"))):
                    continue
                try:
                    data = z.read(info)
                except Exception as e:  # noqa: BLE001
                    out.setdefault("member_errors", {})[info.filename] = _error(e)
                    continue
                if lower.endswith(".npy"):
                    res = read_numpy(_memory_opener(data))
                else:
                    res = read_pickle_c_bytes(data)
                for g in res["globals"]:
                    if g not in out["globals"]:
                        out["globals"].append(g)
                out["calls"].extend(c for c in res["calls"] if c not in out["calls"])
    except Exception as e:  # noqa: BLE001
        out["error"] = _error(e)
    return out


# hdf5 ------------------------------------------------------------------------------------


def read_h5py(opener):
    import h5py

    out = {"globals": [], "calls": [], "pids": [], "error": None, "objects": [], "attrs": {},
           "keras": []}

    def note_attrs(name, obj):
        for key in list(obj.attrs.keys())[:MAX_RECORDS]:
            try:
                value = obj.attrs[key]
                if isinstance(value, bytes):
                    value = value.decode("utf-8", "replace")
                text = value if isinstance(value, str) else repr(value)
            except Exception as e:  # noqa: BLE001
                text = "<" + _error(e) + ">"
            if len(out["attrs"]) < MAX_RECORDS:
                out["attrs"][f"{name}@{key}"] = text[:200]
            if key in ("model_config", "training_config") and isinstance(value, str):
                _keras_names(value, out["keras"])

    try:
        with h5py.File(opener(), "r") as f:
            note_attrs("/", f)

            def visit(name, obj):
                if len(out["objects"]) < MAX_RECORDS:
                    out["objects"].append(name)
                note_attrs(name, obj)

            f.visititems(visit)
    except Exception as e:  # noqa: BLE001
        out["error"] = _error(e)
    return out


def _keras_names(text, into):
    try:
        config = json.loads(text)
    except Exception:  # noqa: BLE001
        into.append(["<invalid json>", ""])
        return
    stack = [config]
    seen = 0
    while stack and seen < 100000:
        seen += 1
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("class_name"), str):
                item = [str(node.get("module", "")), node["class_name"]]
                if item not in into and len(into) < MAX_RECORDS:
                    into.append(item)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


# --------------------------------------------------------------------------------------------
# One file


def _timeout(signum, frame):
    raise TimeoutError(f"oracle case took more than {CASE_SECONDS}s")


def _memory_opener(data):
    """A buffered file over memory: the same BufferedReader (peek, read, readinto, readline) that
    open(path, "rb") gives, over BytesIO instead of FileIO, so no file is written per case."""
    return lambda: io.BufferedReader(io.BytesIO(data))


def _path_opener(path):
    return lambda: open(path, "rb")  # noqa: SIM115 - the reader closes it


def examine(data, opener, readers=None):
    """Every applicable reader on one file: {"readers": {...}, "globals": [[m, n], ...]}."""
    wanted = set(readers or ALL_READERS)
    out = {}
    signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(CASE_SECONDS)
    try:
        if "pickle_c_file" in wanted:
            out["pickle_c_file"] = read_pickle_c_file(opener, len(data))
        if "pickle_c_bytes" in wanted:
            out["pickle_c_bytes"] = read_pickle_c_bytes(data)
        if "pickle_py" in wanted:
            out["pickle_py"] = read_pickle_py(data)
        if "joblib" in wanted:
            looks_joblib = b"NumpyArrayWrapper" in data or data[:2] in (b"\x78\x9c", b"\x1f\x8b")
            if looks_joblib or data[:3] in (b"BZh", b"\xfd7z") or data[:1] == b"]":
                res = read_joblib(opener)
                if res is not None:
                    out["joblib"] = res
        if data[:6] == b"\x93NUMPY" and "numpy" in wanted:
            out["numpy"] = read_numpy(opener)
        if b"PK\x05\x06" in data:  # both readers start from the end-of-central-directory record
            if "torch_zip" in wanted:
                out["torch_zip"] = read_torch_zip(opener)
            if "zipfile" in wanted:
                out["zipfile"] = read_zipfile(opener)
        if b"\x89HDF\r\n\x1a\n" in data[:1 << 16] and "h5py" in wanted:
            out["h5py"] = read_h5py(opener)
    except TimeoutError as e:
        out["timeout"] = _error(e)
    finally:
        signal.alarm(0)
    union = []
    for res in out.values():
        if isinstance(res, dict):
            for g in res.get("globals", []):
                if g not in union:
                    union.append(g)
    return {"readers": out, "globals": union}


ALL_READERS = ("pickle_c_file", "pickle_c_bytes", "pickle_py", "joblib", "numpy", "torch_zip",
               "zipfile", "h5py")


def _limit_memory():
    # A hostile memo index (LONG_BINPUT 0x00726500) makes the C unpickler allocate and zero a
    # memo of twice that many pointers: seconds per case, gigabytes at worst. Cap the address
    # space 64 MiB above what the imports took, so that is a quick MemoryError (recorded as the
    # reader's error; a real machine would go on reading) instead of trouble for the machine.
    try:
        with open("/proc/self/status") as f:
            vm = next(int(line.split()[1]) for line in f if line.startswith("VmSize:")) * 1024
        # MODELVET_ORACLE_HEADROOM_MB shrinks the headroom to exercise the fuzzer's restart path.
        limit = vm + (int(os.environ.get("MODELVET_ORACLE_HEADROOM_MB", "64")) << 20)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except Exception:  # noqa: BLE001 - best effort
        pass


def _preload():
    for mod in ("torch", "numpy", "joblib", "h5py", "numpy.lib.format", "joblib.numpy_pickle"):
        try:
            __import__(mod)
        except Exception:  # noqa: BLE001
            pass


def serve(real_files=False):
    """Batches over stdin/stdout, so that a fuzzer pays the interpreter start once.

    In:  u32 count, then `count` times (u32 length, bytes); count 0 ends the session.
    Out: one JSON line per case, in order; flushed after each batch.
    """
    _preload()
    _limit_memory()
    stdin = sys.stdin.buffer
    stdout = sys.stdout
    path = None
    if real_files:
        fd, path = tempfile.mkstemp(prefix="modelvet-oracle-", suffix=".bin",
                                    dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
        os.close(fd)
    stdout.write(json.dumps({"ready": True, "versions": versions()}) + "\n")
    stdout.flush()
    try:
        while True:
            head = stdin.read(4)
            if len(head) < 4:
                break
            (count,) = struct.unpack("<I", head)
            if count == 0:
                break
            for _ in range(count):
                (n,) = struct.unpack("<I", stdin.read(4))
                data = stdin.read(n)
                if path is not None:
                    with open(path, "wb") as f:
                        f.write(data)
                opener = _path_opener(path) if path is not None else _memory_opener(data)
                started = time.perf_counter()
                try:
                    result = examine(data, opener)
                except Exception as e:  # noqa: BLE001 - never lose the session to one case
                    result = {"readers": {}, "globals": [], "oracle_error": _error(e)}
                result["ms"] = round((time.perf_counter() - started) * 1000, 2)
                try:
                    line = json.dumps(result, default=_short)
                except Exception as e:  # noqa: BLE001 - MemoryError under the address-space cap
                    result = None
                    line = json.dumps({"readers": {}, "globals": [],
                                       "oracle_error": "result not encodable: " + _error(e)})
                stdout.write(line + "\n")
            stdout.flush()
    finally:
        if path is not None:
            os.unlink(path)


def main(argv):
    if argv[:1] == ["--versions"]:
        print(json.dumps(versions(), indent=2))
        return
    if argv[:1] == ["--serve"]:
        serve(real_files="--real-files" in argv)
        return
    if not argv:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    _preload()
    _limit_memory()
    results = []
    for path in argv:
        with open(path, "rb") as f:
            data = f.read()
        result = examine(data, _path_opener(path))
        result["path"] = path
        results.append(result)
    print(json.dumps({"versions": versions(), "files": results}, indent=1, default=_short))


if __name__ == "__main__":
    main(sys.argv[1:])
