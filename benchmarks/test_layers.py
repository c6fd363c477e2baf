"""The shipped network's convolutions one at a time, forward + backward at Model's batch size, ours vs PyTorch
(``others/bench/layers.py``): where ``Model.train``'s time goes, and at which layers the twin's library beats the products
our operations can call (README, "two libraries at two speeds")."""
import pytest
import torch

from conftest import measure, synchronize
from Miniproject_2.model import ARCHITECTURE, RECIPE
from Miniproject_2.others.denoiser import networks
from others.bench.layers import conv_layers, label, twin_pass

SIZE = 32

torch.manual_seed(0)
LAYERS = conv_layers(networks.build(ARCHITECTURE), (RECIPE["batch_size"], 3, SIZE, SIZE))
LABELS = [label(i, layer, shape) for i, (layer, shape) in enumerate(LAYERS)]


@pytest.mark.parametrize("impl", ["scratch", "twin"])
@pytest.mark.parametrize("index", range(len(LAYERS)), ids=LABELS)
def test_layer(benchmark, impl, index, device):
    layer, shape = LAYERS[index]
    layer = layer.to(device).requires_input_grad_(index > 0)  # as in Model: the images need no gradient
    x = torch.rand(shape, device=device).requires_grad_(impl == "twin" and index > 0)
    grad = torch.rand(layer.forward(x.detach()).shape, device=device)
    if impl == "scratch":
        def step():
            layer.forward(x)
            layer.backward(grad)
    else:
        step = twin_pass(layer, x, grad)

    def run():
        step()
        synchronize(device)

    benchmark.group = f"layer {device} {LABELS[index]}"
    benchmark.extra_info.update(impl=impl, device=device, layer=LABELS[index], batch=shape[0])
    measure(benchmark, run, rounds=20, iterations=5, warmup_rounds=2)
