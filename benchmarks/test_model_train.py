"""One pass of Model.train over 1,024 pairs with the shipped network: ours vs the PyTorch twin (TwinModel),
the same loop, batches, augmentation and schedule; the report scales it to an epoch of 50,000 pairs."""
import pytest
import torch

from conftest import measure, synchronize
from Miniproject_2.model import ARCHITECTURE, Model
from others.twin import TwinModel

IMAGES = 1024


@pytest.mark.parametrize("impl", ["scratch", "twin"])
def test_model_train(benchmark, impl, device):
    if device != Model().device:
        pytest.skip(f"Model picks {Model().device}, not {device}")
    torch.manual_seed(0)
    model = (Model if impl == "scratch" else TwinModel)()
    model.progress = lambda *args: None
    x = torch.randint(0, 256, (IMAGES, 3, 32, 32), dtype=torch.uint8, device=device)

    def run():
        model.train(x, x.flip(0), 1)
        synchronize(device)

    benchmark.group = f"Model.train {device} {IMAGES} pairs"
    benchmark.extra_info.update(impl=impl, device=device, batch=model.recipe["batch_size"], images=IMAGES,
                                architecture=ARCHITECTURE)
    measure(benchmark, run, calls=1, rounds=3, warmup_rounds=1)
