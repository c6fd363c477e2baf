"""The planned passes of Conv2d (conv_plan.py) against its general path, which they replace."""
import pytest
import torch
import torch.nn.functional as F

from Miniproject_2.others import Conv2d
from Miniproject_2.others.kernels import conv_ops
from Miniproject_2.others.kernels.conv_plan import ConvPlan
from oracle import assert_clear_releases_the_plans, planned, run_passes, trajectory

EVENTS = [1, 1, 1, 2, 2, 1, "eval", 1, 1, "scribble", 1, 1, "to", 1, 3, 1]
PLANS = (ConvPlan, conv_ops.ForwardPlan, conv_ops.InputGradPlan)
LAYERS = [dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=3, padding=1), dict(kernel_size=2),
          dict(kernel_size=(3, 1), stride=(1, 2), padding=(0, 1), dilation=(2, 1))]


@pytest.mark.parametrize("geometry", LAYERS)
@pytest.mark.parametrize("out_channels", [5, 2])  # the input gradient by col2im, and (2) by the flipped kernel
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("needs_input_grad", [True, False])
def test_planned_passes_equal_the_general_path_bit_for_bit(geometry, out_channels, bias, dtype, needs_input_grad,
                                                           monkeypatch):
    """Outputs, input gradients and parameters agree exactly at every step, through batch changes, an eval pass,
    scribbled scratch memory and parameters moved by ``to``."""
    make = lambda: Conv2d(3, out_channels, bias=bias, **geometry)
    with planned(PLANS, False, monkeypatch):
        expected = trajectory(make, (3, 7, 6), EVENTS, dtype, needs_input_grad)
    with planned(PLANS, True, monkeypatch):
        got = trajectory(make, (3, 7, 6), EVENTS, dtype, needs_input_grad)
    assert len(got) == len(expected)
    for step, (a, b) in enumerate(zip(got, expected)):
        assert a.dtype == b.dtype and torch.equal(a, b), step


def test_the_second_pass_of_a_shape_runs_the_plan(monkeypatch):
    """Once planned, forward skips conv_ops.forward and, at batch 1, backward skips conv_ops.weight_grad."""
    calls = []
    for name in ("forward", "weight_grad"):
        real = getattr(conv_ops, name)
        monkeypatch.setattr(conv_ops, name, lambda *a, _real=real, _name=name, **k: calls.append(_name) or _real(*a, **k))
    torch.manual_seed(0)
    conv = Conv2d(3, 4, 3, stride=2, padding=1)
    x = torch.randn(1, 3, 8, 8)
    for _ in range(2):
        conv.backward(torch.ones_like(conv.forward(x)))
    calls.clear()
    for _ in range(3):
        conv.backward(torch.ones_like(conv.forward(x)))
    assert calls == []
    x2 = torch.randn(2, 3, 8, 8)
    conv.backward(torch.ones_like(conv.forward(x2)))
    assert calls[0] == "forward"  # a new shape: planned anew
    for _ in range(2):
        conv.backward(torch.ones_like(conv.forward(x2)))
    assert calls[-2:] == ["weight_grad", "weight_grad"]  # planned forward passes; above batch 1 the general gradient


def test_clear_releases_what_the_plans_hold():
    torch.manual_seed(0)
    assert_clear_releases_the_plans(Conv2d(3, 4, 3, stride=2, padding=1), torch.randn(1, 3, 8, 8))


def test_a_changed_geometry_is_not_run_from_an_old_plan():
    """Layer attributes are plain and may be changed between passes, as torch.nn allows."""
    torch.manual_seed(0)
    conv = Conv2d(3, 4, 3, padding=1)
    x = torch.randn(1, 3, 8, 8)
    run_passes(conv, x)
    conv.stride, conv.padding = (2, 2), (0, 0)
    torch.testing.assert_close(conv.forward(x), F.conv2d(x, conv.weight, conv.bias, stride=2))
