"""Conv2d against torch.nn.functional.conv2d and autograd (the float64 oracle)."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from Miniproject_2.others import Conv2d
from oracle import check_module
from strategies import conv_configs, dtypes, random_input


@settings(max_examples=150)
@given(conv_configs(), dtypes, st.integers(0, 2**31 - 1))
def test_conv2d_matches_autograd(config, dtype, seed):
    cfg, shape = config
    torch.manual_seed(seed)
    conv = Conv2d(**cfg)
    ref = lambda x, w, b: F.conv2d(x, w, b, cfg["stride"], cfg["padding"], cfg["dilation"])
    check_module(conv, ref, random_input(shape, seed), dtype)


@pytest.mark.parametrize("seed", range(60))
def test_course_block_test_is_exact(seed):
    """The course grader: Conv2d(3, 3, 3).forward(x) vs F.conv2d at allclose's default tolerances."""
    torch.manual_seed(seed)
    x = torch.randn(1, 3, 32, 32)
    conv = Conv2d(3, 3, 3)
    with torch.no_grad():
        assert torch.allclose(conv.forward(x), F.conv2d(x, conv.weight, conv.bias))
        assert torch.allclose(conv(x), F.conv2d(x, conv.weight, conv.bias))


def test_conv2d_accepts_non_contiguous_and_channels_last_input():
    torch.manual_seed(0)
    conv = Conv2d(3, 5, 3, padding=1)
    x = torch.randn(2, 3, 8, 10)
    expected = F.conv2d(x, conv.weight, conv.bias, padding=1)
    for variant in (x.contiguous(memory_format=torch.channels_last), x.transpose(2, 3).contiguous().transpose(2, 3),
                    torch.randn(2, 3, 8, 20)[..., ::2].copy_(x)):
        torch.testing.assert_close(conv.forward(variant), expected)


def test_parameters_match_pytorch_layout_and_initialisation():
    torch.manual_seed(0)
    conv = Conv2d(6, 4, (3, 5))
    assert conv.weight.shape == (4, 6, 3, 5) and conv.bias.shape == (4,)
    assert conv.weight.dtype == torch.get_default_dtype()
    bound = (6 * 3 * 5) ** -0.5
    assert conv.weight.abs().max() <= bound and conv.bias.abs().max() <= bound
    # Uniform on [-b, b] has standard deviation b / sqrt(3): 360 samples land well within 20 % of it.
    assert abs(conv.weight.std().item() - bound / 3 ** 0.5) < 0.2 * bound / 3 ** 0.5
    assert [p.shape for p, _ in conv.param()] == [(4, 6, 3, 5), (4,)]


def test_bias_false_has_no_bias_parameter():
    conv = Conv2d(2, 3, 1, bias=False)
    assert conv.bias is None
    assert len(conv.param()) == 1 and list(conv.state_dict()) == ["weight"]


def test_positional_arguments_follow_pytorch_order():
    ours, theirs = Conv2d(3, 4, 3, 2, 1, 1, 1, False), torch.nn.Conv2d(3, 4, 3, 2, 1, 1, 1, False)
    assert (ours.stride, ours.padding, ours.dilation, ours.bias) == (theirs.stride, theirs.padding,
                                                                     theirs.dilation, theirs.bias)


def test_backward_accumulates():
    torch.manual_seed(0)
    conv = Conv2d(2, 3, 3)
    x, g = torch.randn(1, 2, 5, 5), torch.randn(1, 3, 3, 3)
    conv.forward(x)
    conv.backward(g)
    once = conv.grad("weight").clone()
    conv.backward(g)
    torch.testing.assert_close(conv.grad("weight"), 2 * once)
    conv.zero_grad()
    assert conv.grad("weight").abs().sum() == 0


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(kernel_size=0), ValueError, "kernel_size"),
    (dict(kernel_size=(3, -1)), ValueError, "kernel_size"),
    (dict(kernel_size=2.5), TypeError, "kernel_size"),
    (dict(stride=0), ValueError, "stride"),
    (dict(padding=-1), ValueError, "padding"),
    (dict(dilation=0), ValueError, "dilation"),
    (dict(in_channels=0), ValueError, "in_channels"),
    (dict(out_channels="3"), TypeError, "out_channels"),
    (dict(groups=2), ValueError, "groups"),
    (dict(padding_mode="reflect"), ValueError, "padding_mode"),
])
def test_bad_arguments_are_named(kwargs, error, words):
    args = dict(in_channels=3, out_channels=3, kernel_size=3) | kwargs
    with pytest.raises(error, match=words):
        Conv2d(**args)


@pytest.mark.parametrize("x, words", [
    (torch.randn(3, 8, 8), "4-D"),
    (torch.randn(1, 2, 8, 8), "3 channels"),
    (torch.randn(1, 3, 2, 8), "smaller than the dilated kernel"),
    (torch.zeros(1, 3, 8, 8, dtype=torch.int64), "floating-point"),
    (torch.randn(1, 3, 8, 8, dtype=torch.float64), "float64"),
    ([[1.0]], "tensor"),
])
def test_bad_input_is_named(x, words):
    with pytest.raises((ValueError, TypeError), match=words):
        Conv2d(3, 3, 3).forward(x)


def test_backward_checks_gradient_shape_and_order():
    conv = Conv2d(3, 3, 3)
    with pytest.raises(RuntimeError, match="forward"):
        conv.backward(torch.zeros(1, 3, 6, 6))
    conv.forward(torch.randn(1, 3, 8, 8))
    with pytest.raises(ValueError, match=r"\(1, 3, 6, 6\)"):
        conv.backward(torch.zeros(1, 3, 8, 8))
