"""NearestUpsampling and Upsampling against torch and autograd."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings, strategies as st

from Miniproject_2.others import NearestUpsampling, Upsampling
from oracle import check_module
from strategies import dtypes, pairs, random_input

shapes = st.tuples(st.integers(1, 5), st.integers(1, 4), st.integers(1, 9), st.integers(1, 9))


@settings(max_examples=60)
@given(shapes, pairs(1, 4), dtypes, st.integers(0, 2**31 - 1))
def test_nearest_upsampling_matches_autograd(shape, scale, dtype, seed):
    ref = lambda x: F.interpolate(x, scale_factor=scale, mode="nearest")
    check_module(NearestUpsampling(scale), ref, random_input(shape, seed), dtype, params=())


@settings(max_examples=60)
@given(shapes, st.integers(1, 4), pairs(1, 3), st.integers(1, 3), st.integers(0, 1), st.integers(1, 2),
       dtypes, st.integers(0, 2**31 - 1))
def test_upsampling_block_matches_autograd(shape, out_channels, scale, kernel, padding, stride, dtype, seed):
    assume(min(shape[2] * scale[0], shape[3] * scale[1]) + 2 * padding >= kernel)
    torch.manual_seed(seed)
    block = Upsampling(shape[1], out_channels, kernel, scale_factor=scale, stride=stride, padding=padding)
    ref = lambda x, w, b: F.conv2d(F.interpolate(x, scale_factor=scale, mode="nearest"), w, b, stride, padding)
    check_module(block, ref, random_input(shape, seed), dtype, params=("conv.weight", "conv.bias"))


def test_upsampling_exposes_its_convolution():
    block = Upsampling(3, 5, 3, padding=1)
    assert block.weight is block.conv.weight and block.bias is block.conv.bias
    assert list(block.state_dict()) == ["conv.weight", "conv.bias"]
    assert block.forward(torch.randn(2, 3, 4, 6)).shape == (2, 5, 8, 12)


@pytest.mark.parametrize("scale, error", [(0, ValueError), (1.5, TypeError), ((2, 0), ValueError),
                                          ((2, 2, 2), TypeError), ("2", TypeError)])
def test_bad_scale_factor_is_named(scale, error):
    with pytest.raises(error, match="scale_factor"):
        NearestUpsampling(scale)


def test_upsampling_checks_input_channels():
    with pytest.raises(ValueError, match="4 channels"):
        Upsampling(4, 2, 3).forward(torch.randn(1, 3, 5, 5))
