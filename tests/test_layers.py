"""A network's convolution layers one at a time, and PyTorch's pass for each (``others/bench/layers.py``)."""
import pytest
import torch

from Miniproject_2.model import ARCHITECTURE
from Miniproject_2.others import Conv2d, Upsampling
from Miniproject_2.others.denoiser import networks
from others.bench.layers import conv_layers, label, twin_pass


def labels(net, shape):
    return [label(i, layer, s) for i, (layer, s) in enumerate(conv_layers(net, shape))]


def test_conv_layers_lists_the_course_network_in_order_with_its_inputs():
    net = networks.build({"name": "course", "width": 5})
    found = conv_layers(net, (2, 3, 32, 32))
    assert [shape for _, shape in found] == [(2, 3, 32, 32), (2, 5, 16, 16), (2, 5, 8, 8), (2, 5, 16, 16)]
    assert [layer for layer, _ in found] == [net[0], net[2], net[4], net[6]]
    assert labels(net, (2, 3, 32, 32)) == ["L01-conv-3to5-32x32-s2", "L02-conv-5to5-16x16-s2",
                                           "L03-up-5to5-8x8-s1", "L04-up-5to3-16x16-s1"]
    assert all("forward" not in vars(layer) for layer, _ in found)  # the recorders are gone


def test_conv_layers_follows_the_shipped_unet_down_and_back_up():
    net = networks.build(ARCHITECTURE)
    names = labels(net, (1, 3, 32, 32))
    assert len(names) == 12 and len(set(names)) == 12
    assert names[0] == "L01-conv-3to24-32x32-s1" and names[-1] == "L12-conv-24to3-32x32-s1"
    assert "L10-up-48to24-16x16-s1" in names and "L11-conv-48to24-32x32-s1" in names  # up, then the merge


def test_conv_layers_runs_on_the_parameters_dtype():
    net = networks.build({"name": "course", "width": 5}).to(torch.float64)
    assert [shape for _, shape in conv_layers(net, (1, 3, 16, 16))][-1] == (1, 5, 8, 8)


def test_conv_layers_removes_its_recorders_when_the_forward_fails():
    net = networks.build({"name": "course", "width": 5})
    with pytest.raises(ValueError, match="channels"):
        conv_layers(net, (1, 4, 32, 32))
    assert all("forward" not in vars(m) for m in net.modules())


@pytest.mark.parametrize("make", [lambda: Conv2d(4, 3, 3, stride=2, padding=1, dtype=torch.float64),
                                  lambda: Upsampling(4, 3, 3, scale_factor=2, padding=1).to(torch.float64)])
def test_twin_pass_computes_what_our_layer_computes(make):
    torch.manual_seed(0)
    layer = make()
    x = torch.rand(2, 4, 6, 7, dtype=torch.float64)
    grad = torch.rand(layer.forward(x).shape, dtype=torch.float64)
    input_grad = layer.backward(grad)
    x_twin = x.clone().requires_grad_()
    run = twin_pass(layer, x_twin, grad)
    out, weight, bias = run()
    torch.testing.assert_close(out.detach(), layer.forward(x))
    torch.testing.assert_close(x_twin.grad, input_grad)
    torch.testing.assert_close(weight.grad, layer.param()[0][1])
    torch.testing.assert_close(bias.grad, layer.param()[1][1])
    run()  # autograd's gradients accumulate, as ours do
    torch.testing.assert_close(weight.grad, 2 * layer.param()[0][1])
