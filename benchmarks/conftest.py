"""Benchmark configuration: the repository root on sys.path, devices, the sweep's parameters, the allocator mode."""
import os
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from others.bench import allocator  # noqa: E402 (needs the root on sys.path)

QUICK = os.environ.get("N2N_BENCH_QUICK") == "1"
BATCHES = (1, 8, 64, 256) if QUICK else (1, 2, 4, 8, 16, 32, 64, 128, 256)
WIDTHS = (16, 48) if QUICK else (16, 48, 100)
DEVICES = ("cpu", "cuda")
ALLOCATOR = os.environ.get("N2N_BENCH_ALLOCATOR", "default")  # one of allocator.MODES
PASSES = int(os.environ.get("N2N_BENCH_PASSES", "1"))  # processes that share each benchmark's rounds (sweep.py)


@pytest.fixture(scope="session", autouse=True)
def allocator_mode():
    """Set the allocator mode before any benchmark allocates (``others/bench/allocator.py``)."""
    return allocator.apply(ALLOCATOR)


@pytest.fixture(params=DEVICES)
def device(request):
    if request.param == "cuda" and not torch.cuda.is_available():
        pytest.skip("no CUDA device on this machine")
    return request.param


def synchronize(device):
    if device == "cuda":
        torch.cuda.synchronize()


def measure(benchmark, run, calls=3, **pedantic):
    """``benchmark.pedantic(run, **pedantic)`` with this process's share of the rounds (``PASSES``, at least 3),
    then ``calls`` more calls to count the page faults of one; both that count and the allocator mode go to the
    JSON's ``extra_info``."""
    if "rounds" in pedantic:
        pedantic["rounds"] = max(3, -(-pedantic["rounds"] // PASSES))
    benchmark.pedantic(run, **pedantic)
    benchmark.extra_info.update(allocator=ALLOCATOR, faults_per_call=allocator.faults_per_call(run, calls))
