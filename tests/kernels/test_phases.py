"""The per-phase strided kernels against reference.py; wide strided Conv2d against autograd is in test_shifted."""
import torch
from hypothesis import assume, given, settings, strategies as st

from Miniproject_2.others import Conv2d
from Miniproject_2.others.kernels import conv_ops, phases, reference, shifted
from strategies import conv_configs, random_input


@settings(max_examples=80)
@given(conv_configs(), st.integers(0, 2**31 - 1))
def test_kernels_equal_the_reference(config, seed):
    """forward, weight_grad and input_grad called directly (any channel count), twice on one workspace."""
    cfg, shape = config
    assume(cfg["stride"] != (1, 1))
    torch.manual_seed(seed)
    weight = torch.randn(cfg["out_channels"], cfg["in_channels"], *cfg["kernel_size"], dtype=torch.float64)
    bias = torch.randn(cfg["out_channels"], dtype=torch.float64) if cfg["bias"] else None
    geometry = (cfg["stride"], cfg["padding"], cfg["dilation"])
    workspace = conv_ops.Workspace()
    for attempt in range(2):  # the second pass reuses the buffers of the first
        x = random_input(shape, seed + attempt)
        expected, cols = reference.conv2d_forward(x, weight, bias, *geometry)
        torch.testing.assert_close(phases.forward(x, weight, bias, *geometry, workspace), expected,
                                   rtol=1e-12, atol=1e-12)
        g = random_input(tuple(expected.shape), seed + 7)
        ref_x, ref_w, _ = reference.conv2d_backward(g, cols, x.shape, weight, *geometry)
        torch.testing.assert_close(phases.weight_grad(g, x, cfg["kernel_size"], *geometry, workspace), ref_w,
                                   rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(phases.input_grad(g, weight, tuple(x.shape), *geometry, workspace), ref_x,
                                   rtol=1e-12, atol=1e-12)


def test_conv2d_dispatches_strided_convolutions_by_channels(monkeypatch):
    monkeypatch.setattr(shifted, "MIN_VALUES", 0)
    calls = []
    for name in ("forward", "weight_grad", "input_grad"):
        real = getattr(phases, name)
        monkeypatch.setattr(phases, name, lambda *a, _real=real, _name=name: calls.append(_name) or _real(*a))
    for conv, expected in [(Conv2d(8, 8, 3, stride=2, padding=1), ["forward", "weight_grad", "input_grad"]),
                           (Conv2d(8, 3, 3, stride=2, padding=1), ["forward", "weight_grad"]),
                           (Conv2d(3, 8, 3, stride=(1, 2), padding=1), ["input_grad"]),
                           (Conv2d(8, 8, 3, padding=1), [])]:
        calls.clear()
        out = conv.forward(torch.randn(2, conv.in_channels, 7, 6))
        conv.backward(torch.randn_like(out))
        assert calls == expected, (conv, calls)
