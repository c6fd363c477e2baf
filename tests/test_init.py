"""Initialisation: PyTorch's default bounds for convolution weights and biases."""
import torch

from Miniproject_2.others.init import uniform


def test_uniform_bounds_dtype_and_spread():
    torch.manual_seed(0)
    t = uniform((100, 100), 0.25, dtype=torch.float64)
    assert t.dtype == torch.float64 and t.shape == (100, 100)
    assert t.abs().max() <= 0.25 and t.min() < -0.24 and t.max() > 0.24
    assert abs(t.mean().item()) < 0.01


def test_same_distribution_as_torch_conv_default():
    torch.manual_seed(1)
    theirs = torch.nn.Conv2d(16, 8, 3).weight.detach()
    ours = uniform((8, 16, 3, 3), (16 * 9) ** -0.5)
    assert abs(theirs.abs().max() - ours.abs().max()) < 0.01
    assert abs(theirs.std() - ours.std()) < 0.1 * theirs.std()
