"""TransposeConv2d against torch.nn.functional.conv_transpose2d and autograd."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings, strategies as st

from Miniproject_2.others import TransposeConv2d
from oracle import check_module
from strategies import dtypes, pairs, random_input


@st.composite
def transpose_configs(draw):
    kernel, stride, dilation, padding = draw(pairs(1, 4)), draw(pairs(1, 3)), draw(pairs(1, 2)), draw(pairs(0, 2))
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    assume(all((size - 1) * s - 2 * p + d * (k - 1) + op + 1 >= 1 for size, s, p, d, k, op in
               zip((h, w), stride, padding, dilation, kernel, output_padding)))
    cfg = dict(in_channels=draw(st.integers(1, 4)), out_channels=draw(st.integers(1, 4)), kernel_size=kernel,
               stride=stride, padding=padding, output_padding=output_padding, dilation=dilation,
               bias=draw(st.booleans()))
    return cfg, (draw(st.integers(1, 5)), cfg["in_channels"], h, w)


@settings(max_examples=150)
@given(transpose_configs(), dtypes, st.integers(0, 2**31 - 1))
def test_transpose_conv2d_matches_autograd(config, dtype, seed):
    cfg, shape = config
    torch.manual_seed(seed)
    module = TransposeConv2d(**cfg)
    ref = lambda x, w, b: F.conv_transpose2d(x, w, b, cfg["stride"], cfg["padding"], cfg["output_padding"],
                                             1, cfg["dilation"])
    check_module(module, ref, random_input(shape, seed), dtype)


def test_layout_initialisation_and_argument_order_follow_pytorch():
    ours, theirs = TransposeConv2d(4, 6, 3, 2, 1, 1), torch.nn.ConvTranspose2d(4, 6, 3, 2, 1, 1)
    assert ours.weight.shape == theirs.weight.shape == (4, 6, 3, 3)
    assert (ours.stride, ours.padding, ours.output_padding) == (theirs.stride, theirs.padding, theirs.output_padding)
    bound = (6 * 9) ** -0.5  # PyTorch's fan_in is weight.size(1) * kh * kw
    assert ours.weight.abs().max() <= bound and ours.weight.abs().max() > 0.8 * bound


@pytest.mark.parametrize("kwargs, words", [
    (dict(output_padding=2, stride=2), "output_padding"),
    (dict(kernel_size=0), "kernel_size"),
    (dict(stride=(1, 0)), "stride"),
    (dict(groups=3), "groups"),
])
def test_bad_arguments_are_named(kwargs, words):
    with pytest.raises(ValueError, match=words):
        TransposeConv2d(**(dict(in_channels=3, out_channels=3, kernel_size=3) | kwargs))


def test_empty_output_is_refused():
    with pytest.raises(ValueError, match="empty output"):
        TransposeConv2d(1, 1, 1, padding=2).forward(torch.randn(1, 1, 2, 2))
