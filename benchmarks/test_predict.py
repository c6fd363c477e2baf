"""Inference throughput at batch 100 (the course grader's batch): from scratch vs its torch twin."""
import pytest
import torch

from conftest import WIDTHS, measure, synchronize
from Miniproject_2.others.denoiser import networks
from others.twin import twin_of


@pytest.mark.parametrize("impl", ["scratch", "twin"])
@pytest.mark.parametrize("width", WIDTHS)
def test_predict(benchmark, impl, width, device):
    torch.manual_seed(0)
    net = networks.build({"name": "course", "width": width}).to(device).eval()
    x = torch.rand(100, 3, 32, 32, device=device)
    if impl == "scratch":
        forward = net.forward
    else:
        twin = twin_of(net, {"name": "course", "width": width})
        forward = lambda v: twin(v)  # noqa: E731

    def run():
        with torch.no_grad():
            forward(x)
        synchronize(device)

    benchmark.group = f"predict {device} C={width} batch=100"
    benchmark.extra_info.update(impl=impl, width=width, batch=100, device=device)
    # 20 rounds of 5 calls (10,000 images a side): a window of seconds, not a tenth of one, is less at the
    # mercy of load bursts on a shared machine.
    measure(benchmark, run, rounds=20, iterations=5, warmup_rounds=2)
