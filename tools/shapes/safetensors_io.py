"""Minimal safetensors reader/writer (the Debian Python here has no `safetensors` package): the
8-byte little-endian header length, the JSON header (8-byte aligned with spaces), the raw data."""
import json
import struct

import numpy as np
import torch

DTYPES = {"F32": np.float32, "I64": np.int64, "I32": np.int32, "F16": np.float16}


def save(path, tensors, metadata=None):
    """Writes tensors (name → torch tensor or numpy array) in sorted name order."""
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name]
        a = t.detach().cpu().contiguous().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
        code = {np.dtype(v): k for k, v in DTYPES.items()}[a.dtype]
        b = np.ascontiguousarray(a).tobytes()
        header[name] = {"dtype": code, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = {"format": "pt", **(metadata or {})}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for b in blobs:
            f.write(b)


def read_header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n)), 8 + n


def load(path):
    """name → torch tensor (a copy), and the metadata dict."""
    header, start = read_header(path)
    meta = header.pop("__metadata__", {})
    with open(path, "rb") as f:
        data = f.read()
    out = {}
    for name, e in header.items():
        a, b = e["data_offsets"]
        arr = np.frombuffer(data[start + a:start + b], DTYPES[e["dtype"]]).reshape(e["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out, meta
