"""Benchmark configuration: the repository root on sys.path, devices, and the sweep's parameters."""
import os
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUICK = os.environ.get("N2N_BENCH_QUICK") == "1"
BATCHES = (1, 8, 64, 256) if QUICK else (1, 2, 4, 8, 16, 32, 64, 128, 256)
WIDTHS = (16, 48) if QUICK else (16, 48, 100)
DEVICES = ("cpu", "cuda")


@pytest.fixture(params=DEVICES)
def device(request):
    if request.param == "cuda" and not torch.cuda.is_available():
        pytest.skip("no CUDA device on this machine")
    return request.param


def synchronize(device):
    if device == "cuda":
        torch.cuda.synchronize()
