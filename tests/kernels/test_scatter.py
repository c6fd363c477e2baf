"""The col2im kernels of scatter.py against torch's fold, and which one runs."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from Miniproject_2.others.kernels import scatter
from Miniproject_2.others.kernels.im2col import conv_output_size
from strategies import conv_configs, random_input


def columns_for(config, seed):
    """Random im2col columns for a drawn convolution, with the image shape and geometry they sum back to."""
    cfg, shape = config
    geometry = (cfg["kernel_size"], cfg["stride"], cfg["padding"], cfg["dilation"])
    ho, wo = (conv_output_size(size, k, s, p, d) for size, k, s, p, d in zip(shape[2:], *geometry))
    rows = shape[1] * cfg["kernel_size"][0] * cfg["kernel_size"][1]
    cols = random_input((shape[0], rows, ho * wo), seed)
    expected = F.fold(cols, shape[2:], cfg["kernel_size"], cfg["dilation"], cfg["padding"], cfg["stride"])
    return cols, shape, geometry, expected


@settings(max_examples=80)
@given(conv_configs(max_kernel=5, max_padding=3), st.integers(0, 2**31 - 1))
@pytest.mark.parametrize("kernel", [scatter.scatter_columns, scatter.scatter_indexed, scatter.sum_columns])
def test_col2im_kernels_equal_fold(kernel, config, seed):
    """Every tap, stride, dilation and padding (padding taps land in the spare cell, not on a pixel)."""
    cols, shape, geometry, expected = columns_for(config, seed)
    torch.testing.assert_close(kernel(cols, shape, *geometry), expected, rtol=1e-12, atol=1e-12)


def test_scatter_indexed_is_deterministic_and_leaves_the_columns_alone():
    cols, shape, geometry, _ = columns_for(({"kernel_size": (3, 3), "stride": (2, 2), "padding": (1, 1),
                                             "dilation": (1, 1)}, (3, 5, 9, 8)), 1)
    before = cols.clone()
    first, second = (scatter.scatter_indexed(cols, shape, *geometry) for _ in range(2))
    assert torch.equal(first, second) and torch.equal(cols, before)


@pytest.mark.parametrize("stride, width, device, expected", [
    ((2, 2), 32, "cpu", "scatter_indexed"),
    ((1, 1), 8, "cpu", "scatter_indexed"),
    ((1, 1), scatter.LONG_ROWS, "cpu", "scatter_columns"),  # long contiguous rows: strided additions win
    ((2, 2), 8, "meta", "fold"),  # off the CPU no scatter_add_ (atomics: no fixed summation order)
    ((2, 2), 4096, "meta", "scatter_columns"),  # fold only below SMALL values
])
def test_sum_columns_picks_the_kernel_for_the_geometry_and_device(monkeypatch, stride, width, device, expected):
    calls = []
    for name in ("scatter_columns", "scatter_indexed", "fold"):
        real = getattr(scatter, name)
        monkeypatch.setattr(scatter, name,
                            lambda *a, _real=real, _name=name, **k: calls.append(_name) or _real(*a, **k))
    shape, kernel, padding = (2, 3, 8, width), (3, 3), (1, 1)
    ho, wo = (conv_output_size(size, 3, s, 1, 1) for size, s in zip(shape[2:], stride))
    cols = torch.zeros((2, 27, ho * wo), device=device)
    out = scatter.sum_columns(cols, shape, kernel, stride, padding, (1, 1))
    assert calls == [expected] and tuple(out.shape) == shape
