"""Model files: plain data in a pickle, loaded by an unpickler that refuses every global.

A file holds ``{"format": 1, "architecture": {...}, "tensors": {name: {"dtype", "shape", "byteorder",
"data"}}, "meta": {...}}``: only dicts, lists, strings, numbers and bytes, so loading needs no class and a
hostile file can never make the unpickler run code. Writes are atomic: a temporary file is written,
flushed to disk, then renamed over the target.
"""
import array
import io
import os
import pickle
import sys
import tempfile
from pathlib import Path

FORMAT = 1
TYPECODES = {"torch.float32": "f", "torch.float64": "d"}


class ModelFileError(ValueError):
    """A model file is missing, corrupt, hostile or for another architecture."""


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        raise ModelFileError(f"refusing to load {module}.{name}: model files hold plain data only")


def tensor_to_record(tensor):
    """Return a plain-data record of a float tensor (dtype, shape, raw little- or big-endian bytes)."""
    dtype = str(tensor.dtype)
    if dtype not in TYPECODES:
        raise ModelFileError(f"cannot store a tensor of dtype {dtype}; expected one of {sorted(TYPECODES)}")
    values = array.array(TYPECODES[dtype], tensor.detach().cpu().reshape(-1).tolist())
    return {"dtype": dtype, "shape": list(tensor.shape), "byteorder": sys.byteorder, "data": values.tobytes()}


def record_to_values(record, name):
    """Return ``(shape, flat list of numbers)`` of a record, after checking it is consistent."""
    try:
        values = array.array(TYPECODES[record["dtype"]])
        values.frombytes(record["data"])
        count = 1
        for size in record["shape"]:
            count *= size
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ModelFileError(f"tensor {name!r} is malformed: {error!r}") from None
    if len(values) != count:
        raise ModelFileError(f"tensor {name!r} holds {len(values)} values, its shape {record['shape']} needs {count}")
    if record.get("byteorder") != sys.byteorder:
        values.byteswap()
    return list(record["shape"]), values.tolist()


def save(path, architecture, state_dict, meta=None):
    """Atomically write a model file.

    Args:
        path: destination file.
        architecture: plain-data description of the network.
        state_dict: dotted names to float tensors.
        meta: optional plain-data extras (training recipe, scores).
    """
    payload = {"format": FORMAT, "architecture": architecture, "meta": meta or {},
               "tensors": {name: tensor_to_record(t) for name, t in state_dict.items()}}
    write_atomic(path, pickle.dumps(payload, protocol=4))


def write_atomic(path, data):
    """Write ``data`` (bytes) to ``path`` so that readers see the old file or the new one, never a mix."""
    write_atomic_with(path, lambda stream: stream.write(data))


def write_atomic_with(path, write):
    """Call ``write(stream)`` on a temporary file beside ``path``, then put it in place of ``path`` at once.

    Readers see the old file or the new one, never a mix; a failed ``write`` leaves no temporary behind.
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load(path):
    """Read a model file; return ``(architecture, {name: (shape, flat values)}, meta)``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}; train one with `python bin/train` "
                                f"(it writes Miniproject_2/bestmodel.pth)")
    try:
        payload = _PlainUnpickler(io.BytesIO(path.read_bytes())).load()
    except ModelFileError:
        raise
    except Exception as error:  # truncated or garbage bytes raise many different pickle errors
        raise ModelFileError(f"{path} is not a readable model file ({type(error).__name__}: {error})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT or "tensors" not in payload:
        raise ModelFileError(f"{path} is not a model file of format {FORMAT}")
    tensors = {name: record_to_values(record, name) for name, record in payload["tensors"].items()}
    return payload.get("architecture"), tensors, payload.get("meta", {})
