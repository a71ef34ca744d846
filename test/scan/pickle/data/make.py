# Regenerates the real joblib files the pickle tests read (run with /usr/bin/python3; tests never run it).
# joblib.dump, uncompressed: numpy arrays are written inline after each NumpyArrayWrapper.
import hashlib

import joblib
import numpy as np

joblib.dump({"a": np.arange(10)}, "arange.joblib")
joblib.dump(
    {
        "o": np.array([1, "x", None], dtype=object),
        "f": np.ones((2, 3), dtype=np.float32),
        "u": np.array(["ab", "c"]),
        "s": np.float64(3.0),
    },
    "mixed.joblib",
)
for name in ("arange.joblib", "mixed.joblib"):
    print(name, hashlib.sha256(open(name, "rb").read()).hexdigest())
