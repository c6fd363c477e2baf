"""Atomic file writes for data, checkpoints and histories (outside the submission, so torch.save is allowed)."""
import io
from pathlib import Path

import torch

from Miniproject_2.others.serialization import write_atomic


def save_atomic(obj, path):
    """torch.save ``obj`` so that ``path`` holds the old contents or the new ones, never a mix."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, buffer.getvalue())


def write_text_atomic(path, text):
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text.encode("utf-8"))


def remove_stale_temporaries(path):
    """Delete temporary files a killed writer of ``path`` may have left beside it."""
    path = Path(path)
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
