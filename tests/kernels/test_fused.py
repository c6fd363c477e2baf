"""The planned passes of the fused upsampling block (fused.py) against its general path, which they replace."""
import pytest
import torch
import torch.nn.functional as F

from Miniproject_2.others import Upsampling
from Miniproject_2.others.kernels import conv_ops, fused, subpixel
from Miniproject_2.others.kernels.fused import FusedPlan
from oracle import assert_clear_releases_the_plans, planned, run_passes, trajectory


EVENTS = [1, 1, 1, 2, 2, 1, "eval", 1, 1, "scribble", 1, 1, "to", 1, 2, 1]
PLANS = (FusedPlan, conv_ops.ForwardPlan, conv_ops.InputGradPlan)


def block(bias):
    return Upsampling(3, 4, 3, padding=1, bias=bias)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("needs_input_grad", [True, False])
def test_planned_passes_equal_the_general_path_bit_for_bit(bias, dtype, needs_input_grad, monkeypatch):
    """Same operations on the same values: outputs, input gradients and parameters agree exactly at every step,
    through batch changes, an eval pass, scribbled scratch memory and parameters moved by ``to``."""
    with planned(PLANS, False, monkeypatch):
        expected = trajectory(lambda: block(bias), (3, 5, 4), EVENTS, dtype, needs_input_grad)
    with planned(PLANS, True, monkeypatch):
        got = trajectory(lambda: block(bias), (3, 5, 4), EVENTS, dtype, needs_input_grad)
    assert len(got) == len(expected)
    for step, (a, b) in enumerate(zip(got, expected)):
        assert a.dtype == b.dtype and torch.equal(a, b), step


def test_the_second_pass_of_a_shape_runs_the_plan(monkeypatch):
    """After one pass of a shape, forward and backward skip the general path's folding and phase scatter."""
    calls = []
    for module, name in ((subpixel, "fold_weight"), (subpixel, "scatter_phases")):
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, _real=real, _name=name: calls.append(_name) or _real(*a))
    torch.manual_seed(0)
    block = Upsampling(3, 4, 3, padding=1)
    x = torch.randn(1, 3, 5, 4)
    for _ in range(2):  # the first backward pass grows the shared scratch memory, so the second forward plans anew
        block.backward(torch.ones_like(block.forward(x)))
    assert "fold_weight" in calls
    calls.clear()
    for _ in range(3):
        block.backward(torch.ones_like(block.forward(x)))
    assert calls == []
    block.forward(torch.randn(2, 3, 5, 4))  # a new shape: planned anew
    assert calls == ["fold_weight"]


def test_a_large_grid_plans_the_forward_pass_only(monkeypatch):
    """Phase grids of OWN_BUFFER values or more are fresh tensors in the general path: not planned."""
    monkeypatch.setattr(fused, "OWN_BUFFER", 1)
    torch.manual_seed(0)
    block = Upsampling(3, 4, 3, padding=1)
    x = torch.randn(1, 3, 5, 4)
    for _ in range(2):
        block.backward(torch.ones_like(block.forward(x)))
    assert block.conv._own().plans["Upsampling"].backward_operands is False


def test_clear_releases_what_the_plans_hold():
    torch.manual_seed(0)
    assert_clear_releases_the_plans(Upsampling(3, 4, 3, padding=1), torch.randn(1, 3, 5, 4))


def test_a_changed_geometry_is_not_run_from_an_old_plan():
    """Layer attributes are plain and may be changed between passes, as torch.nn allows."""
    torch.manual_seed(0)
    block = Upsampling(3, 4, 3, padding=1)
    x = torch.randn(1, 3, 5, 4)
    run_passes(block, x)
    block.upsample.scale_factor = (2, 1)
    expected = F.conv2d(F.interpolate(x, scale_factor=(2, 1), mode="nearest"), block.weight, block.bias, padding=1)
    torch.testing.assert_close(block.forward(x), expected)
