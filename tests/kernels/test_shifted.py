"""The shifted-view kernels against reference.py, and the upsampling that runs them against autograd (the wide
Conv2d against autograd: tests/test_conv.py)."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings, strategies as st

from Miniproject_2.others import Conv2d, Upsampling
from Miniproject_2.others.kernels import conv_ops, phases, reference, shifted
from oracle import check_module, grid_kernels_for_any_size
from strategies import conv_configs, dtypes, random_input

WIDE = (shifted.MIN_CHANNELS, shifted.MIN_CHANNELS + 4)  # enough channels for Conv2d to take the shifted path


@settings(max_examples=80)
@given(conv_configs(max_stride=1), st.integers(0, 2**31 - 1))
def test_kernels_equal_the_reference(config, seed):
    """forward, weight_grad and input_grad called directly (any channel count), twice on one workspace."""
    cfg, shape = config
    reach = shifted.reach_of(cfg["kernel_size"], cfg["dilation"])
    assume(all(p <= r for p, r in zip(cfg["padding"], reach)))  # what the shifted form needs
    torch.manual_seed(seed)
    weight = torch.randn(cfg["out_channels"], cfg["in_channels"], *cfg["kernel_size"], dtype=torch.float64)
    bias = torch.randn(cfg["out_channels"], dtype=torch.float64) if cfg["bias"] else None
    geometry = ((1, 1), cfg["padding"], cfg["dilation"])
    workspace = conv_ops.Workspace()
    for attempt in range(2):  # the second pass reuses the buffers of the first
        x = random_input(shape, seed + attempt)
        expected, cols = reference.conv2d_forward(x, weight, bias, *geometry)
        out = shifted.forward(x, weight, bias, cfg["padding"], cfg["dilation"], workspace)
        torch.testing.assert_close(out, expected, rtol=1e-12, atol=1e-12)
        g = random_input(tuple(out.shape), seed + 7)
        ref_x, ref_w, _ = reference.conv2d_backward(g, cols, x.shape, weight, *geometry)
        grad_w = shifted.weight_grad(g, x, cfg["kernel_size"], cfg["padding"], cfg["dilation"], workspace)
        torch.testing.assert_close(grad_w, ref_w, rtol=1e-12, atol=1e-12)
        grad_x = shifted.input_grad(g, weight, cfg["padding"], cfg["dilation"], workspace)
        torch.testing.assert_close(grad_x, ref_x, rtol=1e-12, atol=1e-12)


@settings(max_examples=30)
@given(st.integers(*WIDE), st.integers(*WIDE), st.integers(1, 3), st.integers(1, 6), st.integers(1, 6), dtypes,
       st.integers(0, 2**31 - 1))
def test_wide_upsampling_block_matches_autograd(in_channels, out_channels, batch, h, w, dtype, seed):
    """The fused upsampling's low-resolution convolution on the shifted path, against autograd."""
    torch.manual_seed(seed)
    block = Upsampling(in_channels, out_channels, 3, scale_factor=2, padding=1)
    ref = lambda x, w_, b: F.conv2d(F.interpolate(x, scale_factor=2, mode="nearest"), w_, b, padding=1)
    with grid_kernels_for_any_size():
        check_module(block, ref, random_input((batch, in_channels, h, w), seed), dtype,
                     params=("conv.weight", "conv.bias"))


def test_conv2d_dispatches_by_stride_channels_and_size(monkeypatch):
    calls = []
    for name in ("forward", "weight_grad", "input_grad"):
        real = getattr(shifted, name)
        monkeypatch.setattr(shifted, name, lambda *a, _real=real, _name=name: calls.append(_name) or _real(*a))
    # input_grad is the forward pass of the flipped kernel, hence its inner "forward".
    for conv, expected in [(Conv2d(8, 8, 3, padding=1), ["forward", "weight_grad", "input_grad", "forward"]),
                           (Conv2d(8, 3, 3, padding=1), ["forward", "weight_grad"]),  # 3 rows per tap backwards
                           (Conv2d(3, 8, 3, padding=1), ["input_grad", "forward"]),
                           (Conv2d(8, 8, 3, stride=2, padding=1), [])]:
        for minimum, want in ((0, expected), (shifted.MIN_VALUES, [])):  # small tensors stay on im2col
            monkeypatch.setattr(shifted, "MIN_VALUES", minimum)
            calls.clear()
            out = conv.forward(torch.randn(2, conv.in_channels, 6, 6))
            conv.backward(torch.randn_like(out))
            assert calls == want, (conv, minimum, calls)


def test_non_contiguous_input_without_padding(monkeypatch):
    monkeypatch.setattr(shifted, "MIN_VALUES", 0)
    torch.manual_seed(0)
    conv = Conv2d(8, 9, 3)
    x = torch.randn(2, 8, 7, 9)
    expected = F.conv2d(x, conv.weight, conv.bias)
    for variant in (x.contiguous(memory_format=torch.channels_last), torch.randn(2, 8, 7, 18)[..., ::2].copy_(x)):
        torch.testing.assert_close(conv.forward(variant), expected)
        torch.testing.assert_close(conv.backward(torch.ones_like(expected)), _input_grad(x, conv))


def _input_grad(x, conv):
    x = x.clone().requires_grad_()
    F.conv2d(x, conv.weight, conv.bias).sum().backward()
    return x.grad


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("conv, shape", [(Conv2d(8, 8, 3, padding=1), (1, 8, 5, 5)), (Conv2d(8, 8, 1), (1, 8, 5, 5)),
                                         (Conv2d(8, 1, 1), (2, 8, 4, 3)), (Conv2d(8, 8, 3, stride=2), (1, 8, 5, 5))])
def test_output_is_never_a_view_of_scratch_memory(conv, shape, training, monkeypatch):
    """forward returns a fresh tensor: a second call must not change the first call's output."""
    monkeypatch.setattr(shifted, "MIN_VALUES", 0)
    conv.train(training)
    first = conv.forward(torch.randn(shape))
    kept = first.clone()
    conv.forward(torch.randn(shape))
    assert torch.equal(first, kept) and first.is_contiguous()


def test_stride_one_passes_take_the_grid_from_fewer_values_than_strided_ones(monkeypatch):
    def form(stride, values):
        return conv_ops.grid_form(stride, 8, values, (1, 1), (3, 3), (1, 1))
    assert form((1, 1), shifted.MIN_VALUES_STRIDE_1) is shifted
    assert form((1, 1), shifted.MIN_VALUES_STRIDE_1 - 1) is None
    assert form((2, 2), shifted.MIN_VALUES_STRIDE_1) is None  # strided: phases only from MIN_VALUES
    assert form((2, 2), shifted.MIN_VALUES) is phases
    monkeypatch.setattr(shifted, "MIN_VALUES", 64)  # a lower general threshold lowers the stride-1 one too
    assert form((1, 1), 64) is shifted
