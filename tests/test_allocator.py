"""The allocator modes of the benchmarks: glibc as it comes, or freed memory kept mapped."""
import subprocess
import sys
from pathlib import Path

import pytest

from others.bench import allocator

PROBE = """
import sys
import torch
from Miniproject_2.others.denoiser import networks
from others.bench import allocator
from others.twin import TwinStep, twin_of
allocator.apply(sys.argv[1])
description = {"name": "course", "width": 48}
step = TwinStep(twin_of(networks.build(description), description))
x, y = torch.rand(16, 3, 32, 32), torch.rand(16, 3, 32, 32)
for _ in range(3):
    step(x, y)
print(*(allocator.faults_per_call(lambda: step(x, y), 1) for _ in range(5)))
"""


def twin_step_faults(mode):
    """Page faults of each of five training steps of the twin (C = 48, batch 16) in a fresh process in ``mode``:
    in the default mode glibc hands the memory a step freed back to the system, and the next step faults it in."""
    done = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parent.parent)
    return sorted(float(value) for value in done.stdout.strip().splitlines()[-1].split())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's")
def test_no_page_faults_mode_keeps_freed_memory_mapped():
    # Medians: in the steady mode an odd step can still grow the heap once (about 1,000 faults seen in 15 steps).
    default, steady = twin_step_faults("default"), twin_step_faults("no-page-faults")
    assert default[0] >= 16 and steady[2] * 10 <= default[2], (default, steady)


def test_apply_names_the_modes_on_a_wrong_one():
    with pytest.raises(ValueError, match="allocator mode must be one of"):
        allocator.apply("fast")
    assert allocator.apply("default") == "default"


def test_faults_per_call_calls_the_function_each_time():
    calls = []
    assert allocator.faults_per_call(lambda: calls.append(1), 4) >= 0
    assert len(calls) == 4
