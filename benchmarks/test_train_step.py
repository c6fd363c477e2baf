"""One training step (forward, MSE, backward, SGD step) of the course network: from scratch vs its torch twin.

Run with ``python -m pytest benchmarks --benchmark-json=FILE`` or ``python bin/benchmark``.
Each benchmark's ``extra_info`` records what the report needs (images per step, FLOPs).
"""
import pytest
import torch

from conftest import BATCHES, WIDTHS, measure, synchronize
from Miniproject_2.others.denoiser import networks
from others.bench.flops import course_executed_flops, course_training_flops
from others.twin import ScratchStep, TwinStep, twin_of

SIZE = 32


def make_step(impl, width, device):
    torch.manual_seed(0)
    net = networks.build({"name": "course", "width": width}).to(device)
    if impl == "scratch":
        return ScratchStep(net)
    return TwinStep(twin_of(net, {"name": "course", "width": width}))


@pytest.mark.parametrize("impl", ["scratch", "twin"])
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("batch", BATCHES)
def test_train_step(benchmark, impl, width, batch, device):
    step = make_step(impl, width, device)
    x = torch.rand(batch, 3, SIZE, SIZE, device=device)
    y = torch.rand(batch, 3, SIZE, SIZE, device=device)

    def run():
        step(x, y)
        synchronize(device)

    benchmark.group = f"train {device} C={width} batch={batch}"
    benchmark.extra_info.update(impl=impl, width=width, batch=batch, device=device, size=SIZE,
                                flops=course_training_flops(width, batch, SIZE))
    if impl == "scratch":
        benchmark.extra_info["executed_flops"] = course_executed_flops(width, batch, SIZE)
    # About 4,096 images a side, in at most 20 timed rounds (the JSON keeps every round) of at least one step:
    # bursts of load on a shared machine last seconds, and the median of a longer window is less at their mercy.
    rounds = max(5, min(20, 4096 // batch))
    measure(benchmark, run, rounds=rounds, iterations=max(1, 4096 // (batch * rounds)), warmup_rounds=2)
