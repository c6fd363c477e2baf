"""Named architectures built from plain-data descriptions; the U-Net against its torch.nn twin."""
import pytest
import torch

from Miniproject_2.others.denoiser import networks
from oracle import check_network
from others.twin import course_twin, unet_twin
from strategies import random_input


def test_course_network_is_table_one():
    net = networks.build({"name": "course", "width": 8})
    kinds = [type(m).__name__ for m in net]
    assert kinds == ["Conv2d", "ReLU", "Conv2d", "ReLU", "Upsampling", "ReLU", "Upsampling", "Sigmoid"]
    convs = [m for m in net.modules() if type(m).__name__ == "Conv2d"]
    assert [(c.in_channels, c.out_channels, c.stride, c.padding) for c in convs] == [
        (3, 8, (2, 2), (1, 1)), (8, 8, (2, 2), (1, 1)), (8, 8, (1, 1), (1, 1)), (8, 3, (1, 1), (1, 1))]
    assert [m.upsample.scale_factor for m in net if type(m).__name__ == "Upsampling"] == [(2, 2), (2, 2)]
    assert net.forward(torch.rand(2, 3, 12, 16)).shape == (2, 3, 12, 16)
    assert networks.size_multiple({"name": "course"}) == 4


@pytest.mark.parametrize("batch", [1, 64])
def test_course_network_matches_its_torch_twin(batch):
    """At batch 64 both upsampling blocks are large enough to run in nine products per pixel (winograd.py)."""
    torch.manual_seed(batch)
    net = networks.build({"name": "course", "width": 16})
    check_network(net, course_twin(16), random_input((batch, 3, 32, 32), 2))


@pytest.mark.parametrize("description", [{"name": "resnet"}, "course", {"width": 4}])
def test_unknown_architecture_is_named(description):
    with pytest.raises(ValueError, match="architecture"):
        networks.build(description)


def test_bad_width_is_named():
    with pytest.raises(ValueError, match="width"):
        networks.build({"name": "course", "width": 0})


@pytest.mark.parametrize("widths, residual, shape, dtype", [
    ((4, 6, 8), True, (2, 3, 8, 12), torch.float64), ((3, 5), False, (1, 3, 6, 10), torch.float64),
    ((2, 3, 4, 5), True, (3, 3, 16, 8), torch.float32), ((4,), True, (2, 3, 5, 7), torch.float64)])
def test_unet_matches_its_torch_twin(widths, residual, shape, dtype):
    torch.manual_seed(len(widths))
    description = {"name": "unet", "widths": list(widths), "residual": residual, "negative_slope": 0.2}
    net = networks.build(description)
    check_network(net, unet_twin(widths, residual, 0.2), random_input(shape, 1), dtype)
    assert networks.size_multiple(description) == 2 ** (len(widths) - 1)


def test_unet_layout():
    net = networks.build({"name": "unet", "widths": [4, 6, 8]})
    convs = [(m.in_channels, m.out_channels, m.stride) for m in net.modules() if type(m).__name__ == "Conv2d"]
    assert convs == [(3, 4, (1, 1)), (4, 6, (2, 2)), (6, 8, (2, 2)), (8, 8, (1, 1)), (8, 6, (1, 1)),
                     (12, 6, (1, 1)), (6, 4, (1, 1)), (8, 4, (1, 1)), (4, 3, (1, 1))]
    assert type(net).__name__ == "Add" and type(net[0]).__name__ == "Identity"
    x = torch.rand(1, 3, 8, 8)
    assert net.forward(x).shape == x.shape


@pytest.mark.parametrize("description, words", [({"name": "unet", "widths": []}, "widths"),
                                                ({"name": "unet", "widths": [4, 0]}, r"widths\[1\]"),
                                                ({"name": "unet", "negative_slope": "a"}, "negative_slope")])
def test_bad_unet_arguments_are_named(description, words):
    with pytest.raises((ValueError, TypeError), match=words):
        networks.build(description)
