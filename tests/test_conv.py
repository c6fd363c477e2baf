"""Conv2d against torch.nn.functional.conv2d and autograd (the float64 oracle)."""
import contextlib

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from Miniproject_2.others import Conv2d
from Miniproject_2.others.kernels import conv_ops, reference, shifted
from oracle import (assert_backward_accumulates, assert_backward_refuses_inplace_change,
                    assert_follows_moved_parameters, check_module, grid_kernels_for_any_size, kept_columns_up_to)
from strategies import conv_configs, dtypes, random_input


# Narrow layers run im2col (conv_ops.py), wide ones the shifted-view kernels (shifted.py, phases.py) here.
channel_ranges = st.sampled_from([(1, 4), (shifted.MIN_CHANNELS, shifted.MIN_CHANNELS + 4)])


@settings(max_examples=150)
@given(channel_ranges.flatmap(lambda channels: conv_configs(channels=channels)), dtypes, st.integers(0, 2**31 - 1))
def test_conv2d_matches_autograd(config, dtype, seed):
    cfg, shape = config
    torch.manual_seed(seed)
    conv = Conv2d(**cfg)
    ref = lambda x, w, b: F.conv2d(x, w, b, cfg["stride"], cfg["padding"], cfg["dilation"])
    with grid_kernels_for_any_size():
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


@pytest.mark.parametrize("batch, channels, size, stride, grid", [
    (1, 2, 5, 1, False),  # one image: one accumulating GEMM
    (2, 2, 8, 1, False),  # a batched GEMM summed over images
    (2, 9, 2, 1, False),  # few pixels: one GEMM over image-major copies
    (2, 9, 6, 1, True),  # shifted views (shifted.py)
    (2, 9, 6, 2, True),  # phase grids (phases.py)
])
@pytest.mark.parametrize("keep", [0, conv_ops.KEEP])
def test_backward_accumulates(batch, channels, size, stride, grid, keep):
    torch.manual_seed(0)
    conv = Conv2d(channels, channels, 3, stride=stride, padding=1).to(torch.float64)
    with kept_columns_up_to(keep), (grid_kernels_for_any_size() if grid else contextlib.nullcontext()):
        assert_backward_accumulates(conv, torch.randn(batch, channels, size, size, dtype=torch.float64))
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


@settings(max_examples=60)
@given(conv_configs(), st.integers(0, 2**31 - 1), st.sampled_from([conv_ops.KEEP, 0]))
def test_fast_path_equals_the_reference(config, seed, keep):
    """conv_ops (what Conv2d runs) against reference.py (the plain im2col/fold form), twice in a row, with the
    forward pass's columns kept for the weight gradient and (``KEEP`` = 0) rebuilt."""
    cfg, shape = config
    torch.manual_seed(seed)
    conv = Conv2d(**cfg).to(torch.float64)
    geometry = (conv.stride, conv.padding, conv.dilation)
    with kept_columns_up_to(keep):
        check_twice_against_the_reference(conv, shape, geometry, seed)


# One image; a batched GEMM then a sum (computed as X G^T with more outputs than rows of columns, 9 * channels, or
# as many when transposed); one GEMM over image-major copies; the shifted-view kernels (wide).
@pytest.mark.parametrize("batch, channels, out_channels, size, grid", [
    (1, 1, 12, 6, False), (1, 4, 5, 6, False), (3, 1, 12, 9, False), (3, 1, 9, 9, False), (3, 2, 5, 9, False),
    (2, 1, 12, 2, False), (2, 9, 5, 2, False), (2, shifted.MIN_CHANNELS, 72, 5, True),
    (2, shifted.MIN_CHANNELS, 5, 5, True)])
def test_weight_gradient_on_each_path_and_in_each_layout(batch, channels, out_channels, size, grid):
    """``weight_grad`` against reference.py: returned, added to ``into``, and transposed (as the fused upsampling
    asks for it)."""
    gen = torch.Generator().manual_seed(batch + channels)
    x = torch.randn(batch, channels, size, size, generator=gen, dtype=torch.float64)
    g = torch.randn(batch, out_channels, size, size, generator=gen, dtype=torch.float64)
    weight = torch.randn(out_channels, channels, 3, 3, generator=gen, dtype=torch.float64)
    geometry = ((1, 1), (1, 1), (1, 1))
    _, cols = reference.conv2d_forward(x, weight, None, *geometry)
    _, expected, _ = reference.conv2d_backward(g, cols, x.shape, weight, *geometry)
    start = torch.randn(weight.shape, generator=gen, dtype=torch.float64)
    with grid_kernels_for_any_size() if grid else contextlib.nullcontext():
        workspace = conv_ops.Workspace()
        returned = conv_ops.weight_grad(g, x, (3, 3), *geometry, workspace)
        added = conv_ops.weight_grad(g, x, (3, 3), *geometry, workspace, into=start.clone())
        flipped = conv_ops.weight_grad(g, x, (3, 3), *geometry, workspace, transposed=True)
        with pytest.raises(ValueError, match="into"):
            conv_ops.weight_grad(g, x, (3, 3), *geometry, workspace, into=start.clone(), transposed=True)
    matrix = expected.reshape(out_channels, -1)
    torch.testing.assert_close(returned.reshape(matrix.shape), matrix, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(added, start + expected, rtol=1e-12, atol=1e-12)
    assert flipped.shape == (channels * 9, out_channels)
    torch.testing.assert_close(flipped, matrix.t(), rtol=1e-12, atol=1e-12)
    if not grid:  # computed in the layout asked for wherever the outputs are at least as many as the rows
        assert flipped.is_contiguous() == (out_channels >= channels * 9)


@pytest.mark.parametrize("stride, out_channels", [((2, 2), 5), ((1, 1), 7)])  # col2im input gradients
def test_gradients_ignore_what_the_scratch_memory_held(stride, out_channels):
    """The input gradient's columns W^T G go to shared scratch memory by a GEMM that must overwrite it: NaN left
    there by anything before must not reach the result. (Only that role is scribbled: the padded roles' borders are
    known to be zero, ``Workspace.framed``, and a NaN border would leak into later tests.)"""
    torch.manual_seed(0)
    conv = Conv2d(4, out_channels, 3, stride=stride, padding=1).to(torch.float64)
    x = torch.randn(3, 4, 9, 8, dtype=torch.float64)
    conv.backward(torch.ones_like(conv.forward(x)))  # the scratch buffers now exist at this layer's sizes
    out = conv.forward(x)
    conv_ops.SHARED.buffers[("grad_cols", torch.float64, x.device)].fill_(float("nan"))
    g = torch.randn(out.shape, dtype=torch.float64)
    conv.zero_grad()
    grad_x = conv.backward(g)
    _, cols = reference.conv2d_forward(x, conv.weight, conv.bias, stride, (1, 1), (1, 1))
    ref_x, ref_w, _ = reference.conv2d_backward(g, cols, x.shape, conv.weight, stride, (1, 1), (1, 1))
    torch.testing.assert_close(grad_x, ref_x, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(conv.grad("weight"), ref_w, rtol=1e-12, atol=1e-12)


def check_twice_against_the_reference(conv, shape, geometry, seed):
    for attempt in range(2):  # the second pass reuses the buffers of the first
        x = random_input(shape, seed + attempt)
        out = conv.forward(x)
        expected, cols = reference.conv2d_forward(x, conv.weight, conv.bias, *geometry)
        torch.testing.assert_close(out, expected, rtol=1e-12, atol=1e-12)
        g = random_input(tuple(out.shape), seed + 7)
        conv.zero_grad()
        grad_x = conv.backward(g)
        ref_x, ref_w, ref_b = reference.conv2d_backward(g, cols, x.shape, conv.weight, *geometry)
        torch.testing.assert_close(grad_x, ref_x, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(conv.grad("weight"), ref_w, rtol=1e-12, atol=1e-12)
        if conv.bias is not None:
            torch.testing.assert_close(conv.grad("bias"), ref_b, rtol=1e-12, atol=1e-12)


def test_kept_columns_survive_other_layers_and_a_cleared_workspace():
    """Two layers of the same shape share the scratch memory but keep their columns apart; ``clear`` between
    forward and backward leaves the kept columns to the layers that hold them."""
    torch.manual_seed(0)
    convs = [Conv2d(4, 4, 3, padding=1).to(torch.float64) for _ in range(2)]
    x = torch.randn(2, 4, 6, 6, dtype=torch.float64)
    hidden = convs[0].forward(x)
    out = convs[1].forward(hidden)
    assert all(conv.saved()[2] is not None for conv in convs)
    conv_ops.SHARED.clear()
    g = torch.randn(out.shape, dtype=torch.float64)
    convs[0].backward(convs[1].backward(g))
    xs, ws = x.clone().requires_grad_(), [c.weight.detach().clone().requires_grad_() for c in convs]
    expected = F.conv2d(F.conv2d(xs, ws[0], convs[0].bias, padding=1), ws[1], convs[1].bias, padding=1)
    expected.backward(g)
    for conv, w in zip(convs, ws):
        torch.testing.assert_close(conv.grad("weight"), w.grad, rtol=1e-12, atol=1e-12)


def test_planned_columns_equal_unfold_whatever_ran_before():
    """``columns`` reuses its views per input shape (``ColumnPlan``): against F.unfold over calls that alternate
    shapes and targets, grow the shared buffer under the plans (they must move to the new one), scribble NaN over
    the padded buffer (its border must be zeroed again), and clear the workspace."""
    gen = torch.Generator().manual_seed(0)
    space, own = conv_ops.Workspace(), conv_ops.Workspace()
    small, other, large = (1, 3, 5, 4), (2, 3, 5, 4), (2, 8, 32, 32)
    calls = [(small, None), (small, own), (other, None), (small, None), (large, None), (small, None), (small, own),
             ("scribble", None), (small, None), ("clear", None), (small, own), (small, own)]
    planned = 0
    for shape, into in calls:
        if shape == "scribble":
            for key, (frame_shape, _) in list(space.frames.items()):
                space.get(key[0], frame_shape, torch.empty(0)).fill_(float("nan"))
            continue
        if shape == "clear":
            space.clear()
            continue
        x = torch.randn(shape, generator=gen)
        before = len((into or space).plans)
        cols, ho, wo = conv_ops.columns(x, (3, 3), (2, 1), (1, 2), (1, 1), space, "cols", into)
        planned += len((into or space).plans) == before
        assert torch.equal(cols, F.unfold(x, (3, 3), padding=(1, 2), stride=(2, 1)))
        current = (into or space).get("cols", tuple(cols.shape), x)  # no plan holds on to a replaced buffer
        assert cols.untyped_storage().data_ptr() == current.untyped_storage().data_ptr()
        assert (ho, wo) == ((shape[2] + 2 - 3) // 2 + 1, shape[3] + 4 - 3 + 1)
    assert planned >= 3  # some calls did reuse a plan


def test_planned_columns_without_padding_follow_the_input():
    """Without padding the windows are a view of the input itself: a plan kept for its shape must read each new
    input, whatever its strides and storage offset, and move to a grown or cleared buffer."""
    gen = torch.Generator().manual_seed(1)
    space = conv_ops.Workspace()
    shape = (2, 3, 6, 5)
    inputs = [lambda: torch.randn(shape, generator=gen),
              lambda: torch.randn(3, 3, 6, 5, generator=gen)[1:],  # the same strides, a storage offset
              lambda: torch.randn(2, 3, 5, 6, generator=gen).transpose(2, 3)]  # other strides
    planned = 0
    for step, make in enumerate(inputs * 3):
        if step == 4:
            space.get("cols", (10 ** 4,), torch.empty(0))  # the buffer grows under the plan
        if step == 7:
            space.clear()
        x = make()
        before = len(space.plans)
        cols, _, _ = conv_ops.columns(x, (2, 3), (1, 2), (0, 0), (1, 1), space, "cols")
        planned += len(space.plans) == before
        assert torch.equal(cols, F.unfold(x, (2, 3), stride=(1, 2)))
    assert planned >= 3


def test_which_columns_are_kept():
    assert conv_ops.keeps(conv_ops.KEEP_SMALL, conv_ops.KEEP_OUT + 1)
    assert not conv_ops.keeps(conv_ops.KEEP_SMALL + 1, conv_ops.KEEP_OUT + 1)
    assert conv_ops.keeps(conv_ops.KEEP, conv_ops.KEEP_OUT)
    assert not conv_ops.keeps(conv_ops.KEEP + 1, 1)


def test_only_small_columns_in_training_mode_are_kept():
    torch.manual_seed(0)
    conv = Conv2d(3, 4, 3, padding=1)
    x = torch.randn(2, 3, 8, 8)
    conv.forward(x)
    assert tuple(conv.saved()[2].shape) == (2, 3 * 9, 64)
    with kept_columns_up_to(2 * 3 * 9 * 64 - 1):
        conv.forward(x)
        assert conv.saved()[2] is None
    conv.eval()
    assert conv._keeper(conv._own()) is None
    torch.testing.assert_close(conv.forward(x), F.conv2d(x, conv.weight, conv.bias, padding=1))


@pytest.mark.parametrize("batch, stride", [(1, 1), (1, 2), (3, 2)])
def test_conv_follows_its_parameters_when_their_memory_moves(batch, stride):
    torch.manual_seed(0)
    conv = Conv2d(3, 4, 3, stride=stride, padding=1)
    reference = lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=1)
    assert_follows_moved_parameters(conv, reference, torch.randn(batch, 3, 6, 5, dtype=torch.float64))


def test_forward_never_writes_into_the_parameters():
    """A 1x1 output at batch 1 once made the bias buffer and the output the same memory."""
    conv = Conv2d(2, 3, 3)
    weight, bias = conv.weight.clone(), conv.bias.clone()
    for shape in [(1, 2, 3, 3), (2, 2, 3, 3), (1, 2, 5, 4)]:
        conv.forward(torch.randn(shape))
        conv.backward(torch.randn((shape[0], 3, shape[2] - 2, shape[3] - 2)))
    assert torch.equal(conv.weight, weight) and torch.equal(conv.bias, bias)


def test_backward_refuses_an_input_modified_in_place_after_forward():
    assert_backward_refuses_inplace_change(Conv2d(2, 2, 3, padding=1), torch.randn(1, 2, 5, 5))
