"""The nine-product form of nearest 2x upsampling + 3x3 convolution (winograd.py) against autograd."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from Miniproject_2.others import Upsampling
from Miniproject_2.others.kernels import conv_ops, subpixel, winograd
from oracle import (assert_backward_accumulates, assert_backward_refuses_inplace_change,
                    assert_follows_moved_parameters, check_module)
from strategies import dtypes, random_input


def reference(x, w, b):
    return F.conv2d(F.interpolate(x, scale_factor=2, mode="nearest"), w, b, padding=1)


@pytest.fixture
def always(monkeypatch):
    """Let every input take the nine-product form, whatever its size."""
    monkeypatch.setattr(winograd, "MIN_VALUES", 0)
    monkeypatch.setattr(winograd, "MIN_PRODUCTS", 0)


@settings(max_examples=60, deadline=None)
@given(st.tuples(st.integers(1, 4), st.integers(1, 6), st.integers(1, 9), st.integers(1, 9)), st.integers(1, 5),
       st.booleans(), dtypes, st.integers(0, 2**31 - 1))
def test_block_matches_autograd(shape, out_channels, bias, dtype, seed):
    torch.manual_seed(seed)
    block = Upsampling(shape[1], out_channels, 3, padding=1, bias=bias)
    saved = winograd.MIN_VALUES, winograd.MIN_PRODUCTS
    winograd.MIN_VALUES = winograd.MIN_PRODUCTS = 0  # not the fixture: hypothesis reruns the body without it
    try:
        check_module(block, reference, random_input(shape, seed), dtype, params=("conv.weight", "conv.bias"))
    finally:
        winograd.MIN_VALUES, winograd.MIN_PRODUCTS = saved


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_weight_transform_and_its_adjoint(dtype):
    """<W9(w), G> = <w, W9^T(G)>: ``transform_weight_grad`` is the adjoint of ``transform_weight``, and W9 is the
    stated combination of taps (row D0 with column X: minus the sum of the kernel's first row)."""
    torch.manual_seed(0)
    w = torch.randn(5, 4, 3, 3, dtype=dtype)
    g = torch.randn(45, 4, dtype=dtype)
    w9 = winograd.transform_weight(w)
    assert w9.shape == (45, 4)
    torch.testing.assert_close(w9.view(3, 3, 5, 4)[winograd.D0, winograd.X], -w[:, :, 0, :].sum(2))
    torch.testing.assert_close(w9.view(3, 3, 5, 4)[winograd.D1, winograd.D1], w[:, :, 2, 2])
    back = torch.zeros_like(w)
    winograd.transform_weight_grad(g, back)
    torch.testing.assert_close((w9 * g).sum(), (w * back).sum())


def test_combine_adjoint_is_the_adjoint_of_combine():
    torch.manual_seed(0)
    z = torch.randn(2, 3, 4, 5, dtype=torch.float64)
    g = torch.randn(2, 2, 4, 5, dtype=torch.float64)
    for spatial in (2, 3):
        out = winograd.combine(z, torch.empty_like(g), 1, spatial)
        back = winograd.combine_adjoint(g, torch.empty_like(z), 1, spatial)
        torch.testing.assert_close((out * g).sum(), (z * back).sum())


def test_large_inputs_take_this_form_and_small_ones_the_planned_kernels(monkeypatch):
    calls = []
    real = winograd.forward
    monkeypatch.setattr(winograd, "forward", lambda *a: calls.append(a[0].shape) or real(*a))
    block = Upsampling(48, 48, 3, padding=1)
    block.forward(torch.randn(2, 48, 8, 8))  # 6,144 input values times 48 outputs: below MIN_PRODUCTS
    Upsampling(400, 400, 3, padding=1).forward(torch.randn(1, 400, 3, 3))  # 3,600 values: below MIN_VALUES
    assert calls == []
    block.forward(torch.randn(8, 48, 8, 8))
    assert calls == [(8, 48, 8, 8)]
    assert block.conv._own().plans.get("Upsampling") is None  # the smaller shape's plan is dropped
    narrow = Upsampling(48, 3, 3, padding=1)
    narrow.forward(torch.randn(8, 48, 16, 16))  # 98,304 values, but times 3 outputs below MIN_PRODUCTS
    assert len(calls) == 1
    for other in (Upsampling(48, 48, 3, padding=2), Upsampling(48, 48, 3, scale_factor=3, padding=1),
                  Upsampling(48, 48, 3, stride=2, padding=1), Upsampling(48, 48, 5, padding=1)):
        other.forward(torch.randn(8, 48, 8, 8))
    assert len(calls) == 1


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("needs_input_grad", [True, False])
def test_a_large_block_matches_autograd_in_its_own_route(bias, needs_input_grad):
    """At a size that takes this form by itself (no patched thresholds), through the module and its checks."""
    torch.manual_seed(0)
    block = Upsampling(16, 16, 3, padding=1, bias=bias).requires_input_grad_(needs_input_grad)
    x = random_input((40, 16, 8, 8), 0)
    assert winograd.applies((2, 2), (3, 3), (1, 1), (1, 1), (1, 1), x, 16)
    if needs_input_grad:
        check_module(block, reference, x, torch.float64, params=("conv.weight", "conv.bias"))
        return
    block.to(torch.float64)
    block.forward(x)
    assert block.backward(torch.ones(40, 16, 16, 16, dtype=torch.float64)) is None
    xr = x.clone().requires_grad_()
    w = block.weight.detach().clone().requires_grad_()
    b = block.bias.detach().clone().requires_grad_() if bias else None
    reference(xr, w, b).sum().backward()
    torch.testing.assert_close(block.grad("conv.weight"), w.grad, rtol=1e-10, atol=1e-10)
    if bias:
        torch.testing.assert_close(block.grad("conv.bias"), b.grad, rtol=1e-10, atol=1e-10)


def test_equals_the_folded_kernels(always):
    """Both fast forms of the block agree to float64 rounding (and with the shared scratch scribbled over)."""
    torch.manual_seed(0)
    x = torch.randn(3, 7, 6, 5, dtype=torch.float64)
    g = torch.randn(3, 4, 12, 10, dtype=torch.float64)
    results = []
    for form in ("winograd", "folded"):
        if form == "folded":
            winograd.MIN_VALUES = 1 << 60
        torch.manual_seed(1)
        block = Upsampling(7, 4, 3, padding=1).to(torch.float64)
        for buffer in conv_ops.SHARED.buffers.values():
            buffer.fill_(float("nan"))
        conv_ops.SHARED.frames.clear()  # the scribbles broke the zero borders it remembers
        out = block.forward(x)
        results.append((out, block.backward(g), block.grad("conv.weight"), block.grad("conv.bias")))
    conv_ops.SHARED.clear()  # no scribbled buffer for the tests after this one
    for a, b in zip(*results):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    assert subpixel.supported((2, 2), (3, 3), (1, 1), (1, 1), (1, 1))


def test_backward_accumulates(always):
    torch.manual_seed(0)
    assert_backward_accumulates(Upsampling(5, 4, 3, padding=1).to(torch.float64),
                                torch.randn(2, 5, 4, 3, dtype=torch.float64))


def test_follows_its_parameters_when_their_memory_moves(always):
    torch.manual_seed(0)
    assert_follows_moved_parameters(Upsampling(5, 4, 3, padding=1), reference, random_input((2, 5, 4, 3), 0),
                                    params=("conv.weight", "conv.bias"))


def test_backward_refuses_an_input_modified_in_place(always):
    assert_backward_refuses_inplace_change(Upsampling(5, 4, 3, padding=1), torch.randn(2, 5, 4, 3))


def test_backward_checks_the_gradient_shape(always):
    block = Upsampling(5, 4, 3, padding=1)
    block.forward(torch.randn(2, 5, 4, 3))
    with pytest.raises(ValueError, match=r"\(2, 4, 8, 6\)"):
        block.backward(torch.randn(2, 4, 8, 5))


def test_large_batches_go_in_chunks_of_images(monkeypatch):
    """With room for the products of two images at a time, a batch of five runs in three chunks, same result."""
    monkeypatch.setattr(winograd, "MIN_VALUES", 0)
    monkeypatch.setattr(winograd, "MIN_PRODUCTS", 0)
    monkeypatch.setattr(winograd, "MAX_SCRATCH", 2 * 9 * 4 * 6 * 5)
    x = random_input((5, 3, 6, 5), 0)
    assert list(winograd.chunks(x, 4)) == [(0, 2), (2, 4), (4, 5)]
    torch.manual_seed(0)
    check_module(Upsampling(3, 4, 3, padding=1), reference, x, torch.float64, params=("conv.weight", "conv.bias"))
    monkeypatch.setattr(winograd, "forward", lambda *a: pytest.fail("one image's products exceed MAX_SCRATCH"))
    out = Upsampling(3, 4, 3, padding=1).forward(random_input((1, 3, 13, 10), 0).float())  # the folded kernels
    assert out.shape == (1, 4, 26, 20)


def test_eval_mode_forward_matches_torch():
    """``predict``'s path: no state is saved, the output is the same."""
    torch.manual_seed(0)
    block = Upsampling(16, 16, 3, padding=1).to(torch.float64).eval()
    x = random_input((64, 16, 8, 8), 1)
    assert winograd.applies((2, 2), (3, 3), (1, 1), (1, 1), (1, 1), x, 16)
    torch.testing.assert_close(block.forward(x), reference(x, block.weight, block.bias), rtol=1e-10, atol=1e-10)
    with pytest.raises(RuntimeError, match="training mode"):
        block.backward(torch.ones(64, 16, 16, 16, dtype=torch.float64))
