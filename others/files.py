"""Atomic file writes for data, checkpoints and histories (outside the submission, so torch.save is allowed)."""
from pathlib import Path

import torch

from Miniproject_2.others.denoiser.serialization import write_atomic, write_atomic_with


def save_atomic(obj, path):
    """torch.save ``obj`` so that ``path`` holds the old contents or the new ones, never a mix.

    The tensors are written straight to the temporary file: no copy of them is held in memory.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_atomic_with(path, lambda stream: torch.save(obj, stream))


def write_text_atomic(path, text):
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path, data):
    """Write ``data`` to ``path`` atomically, making its folder when absent."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)


def already_there(paths):
    """"A, B already exist" for those of ``paths`` that exist ("A already exists" for one), or None when none does:
    the start of a script's refusal to replace a user's files without --force."""
    existing = [str(p) for p in paths if Path(p).exists()]
    if not existing:
        return None
    return f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}"


def remove_stale_temporaries(path):
    """Delete temporary files a killed writer of ``path`` may have left beside it."""
    path = Path(path)
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
