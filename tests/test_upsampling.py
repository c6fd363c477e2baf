"""NearestUpsampling and Upsampling against torch and autograd."""
import contextlib

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings, strategies as st

from Miniproject_2.others import Conv2d, NearestUpsampling, Upsampling
from Miniproject_2.others.kernels import conv_ops, subpixel
from oracle import (assert_backward_accumulates, assert_backward_refuses_inplace_change,
                    assert_follows_moved_parameters, check_module, grid_kernels_for_any_size, kept_columns_up_to)
from strategies import dtypes, pairs, random_input

shapes = st.tuples(st.integers(1, 5), st.integers(1, 4), st.integers(1, 9), st.integers(1, 9))


@settings(max_examples=60)
@given(shapes, pairs(1, 4), dtypes, st.integers(0, 2**31 - 1))
def test_nearest_upsampling_matches_autograd(shape, scale, dtype, seed):
    ref = lambda x: F.interpolate(x, scale_factor=scale, mode="nearest")
    check_module(NearestUpsampling(scale), ref, random_input(shape, seed), dtype, params=())


@settings(max_examples=60)
@given(shapes, st.integers(1, 4), pairs(1, 3), st.sampled_from([1, 2, 3, 5]), st.integers(0, 2), st.integers(1, 2),
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


@settings(max_examples=40)
@given(shapes, st.integers(1, 4), pairs(1, 3), st.sampled_from([(1, 0), (3, 1), (5, 2)]), st.booleans(),
       st.integers(0, 2**31 - 1), st.sampled_from([conv_ops.KEEP, 0]))
def test_fused_block_equals_upsampling_then_convolution(shape, out_channels, scale, kernel_padding, bias, seed, keep):
    """The sub-pixel path against the two plain modules it replaces, with the same weights, twice in a row, with
    the forward pass's columns kept for the weight gradient and (``KEEP`` = 0) rebuilt."""
    with kept_columns_up_to(keep):
        check_fused_against_plain(shape, out_channels, scale, kernel_padding, bias, seed)


def check_fused_against_plain(shape, out_channels, scale, kernel_padding, bias, seed):
    kernel, padding = kernel_padding
    torch.manual_seed(seed)
    block = Upsampling(shape[1], out_channels, kernel, scale_factor=scale, padding=padding, bias=bias).to(torch.float64)
    assert subpixel.supported(scale, (kernel, kernel), (1, 1), (padding, padding), (1, 1))
    plain_up, plain_conv = NearestUpsampling(scale), Conv2d(shape[1], out_channels, kernel, padding=padding, bias=bias)
    plain_conv.to(torch.float64).load_state_dict(block.conv.state_dict())
    for attempt in range(2):
        x = random_input(shape, seed + attempt)
        out = block.forward(x)
        torch.testing.assert_close(out, plain_conv.forward(plain_up.forward(x)), rtol=1e-12, atol=1e-12)
        g = random_input(tuple(out.shape), seed + 5)
        torch.testing.assert_close(block.backward(g), plain_up.backward(plain_conv.backward(g)), rtol=1e-12,
                                   atol=1e-12)
    for name in block.conv.state_dict():
        torch.testing.assert_close(block.conv.grad(name), plain_conv.grad(name), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("batch, channels, grid", [(1, 3, False), (3, 3, False), (2, 9, True)])
def test_fused_backward_accumulates(batch, channels, grid):
    torch.manual_seed(0)
    block = Upsampling(channels, channels, 3, padding=1).to(torch.float64)
    with grid_kernels_for_any_size() if grid else contextlib.nullcontext():
        assert_backward_accumulates(block, torch.randn(batch, channels, 4, 5, dtype=torch.float64))


@pytest.mark.parametrize("batch", [1, 3])
def test_fused_block_follows_its_parameters_when_their_memory_moves(batch):
    torch.manual_seed(0)
    block = Upsampling(3, 4, 3, padding=1)
    reference = lambda x, w, b: F.conv2d(F.interpolate(x, scale_factor=2, mode="nearest"), w, b, padding=1)
    assert_follows_moved_parameters(block, reference, torch.randn(batch, 3, 4, 5, dtype=torch.float64),
                                    ("conv.weight", "conv.bias"))


def test_fused_backward_refuses_an_input_modified_in_place_after_forward():
    assert_backward_refuses_inplace_change(Upsampling(2, 2, 3, padding=1), torch.randn(1, 2, 4, 4))
