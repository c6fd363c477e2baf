"""One network pass of the shipped U-Net in eval mode at batch 100, ours vs its torch.nn twin: the unit of
``Model.predict`` (which averages ``self_ensemble`` such passes over flips and rotations)."""
import pytest
import torch

from conftest import measure, synchronize
from Miniproject_2.model import ARCHITECTURE
from Miniproject_2.others.denoiser import networks
from others.twin import twin_of

BATCH = 100


@pytest.mark.parametrize("impl", ["scratch", "twin"])
def test_predict_shipped(benchmark, impl, device):
    torch.manual_seed(0)
    net = networks.build(ARCHITECTURE).to(device).eval()
    x = torch.rand(BATCH, 3, 32, 32, device=device)
    forward = net.forward if impl == "scratch" else twin_of(net, ARCHITECTURE).eval()

    def run():
        with torch.no_grad():
            forward(x)
        synchronize(device)

    benchmark.group = f"shipped network pass {device} batch={BATCH}"
    benchmark.extra_info.update(impl=impl, device=device, batch=BATCH, architecture=ARCHITECTURE)
    measure(benchmark, run, rounds=20, iterations=3, warmup_rounds=2)
