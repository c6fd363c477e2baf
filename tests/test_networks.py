"""Named architectures built from plain-data descriptions."""
import pytest
import torch

from Miniproject_2.others import networks


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


@pytest.mark.parametrize("description", [{"name": "unet"}, "course", {"width": 4}])
def test_unknown_architecture_is_named(description):
    with pytest.raises(ValueError, match="architecture"):
        networks.build(description)


def test_bad_width_is_named():
    with pytest.raises(ValueError, match="width"):
        networks.build({"name": "course", "width": 0})
