"""The sub-pixel rewriting of nearest upsampling + convolution: folding, its adjoint, pixel shuffles."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from Miniproject_2.others import subpixel


def test_taps_of_the_course_block():
    pad, entries = subpixel.taps(2, 3, 1)
    assert pad == 1
    # phase 0 reads rows q-1 (w0) and q (w1 + w2); phase 1 reads q (w0 + w1) and q+1 (w2)
    assert entries == [(0, 0, 0), (0, 1, 1), (0, 2, 1), (1, 0, 1), (1, 1, 1), (1, 2, 2)]


@pytest.mark.parametrize("scale, kernel, padding, expected", [
    ((2, 2), (3, 3), (1, 1), True), ((2, 2), (3, 3), (0, 0), False), ((2, 3), (5, 3), (2, 1), True),
    ((2, 2), (2, 2), (0, 0), False)])
def test_supported(scale, kernel, padding, expected):
    assert subpixel.supported(scale, kernel, (1, 1), padding, (1, 1)) == expected
    assert not subpixel.supported(scale, kernel, (2, 2), padding, (1, 1))


@settings(max_examples=30)
@given(st.sampled_from([((2, 2), (3, 3), (1, 1)), ((3, 2), (5, 3), (2, 1)), ((2, 2), (1, 1), (0, 0))]),
       st.integers(0, 2**31 - 1))
def test_folded_convolution_equals_upsample_then_conv(geometry, seed):
    scale, kernel, padding = geometry
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(2, 3, 5, 4, generator=gen, dtype=torch.float64)
    w = torch.randn(4, 3, *kernel, generator=gen, dtype=torch.float64)
    folded, pad = subpixel.fold_weight(w, scale, padding)
    fused = subpixel.pixel_shuffle(F.conv2d(x, folded, padding=pad), scale)
    plain = F.conv2d(F.interpolate(x, scale_factor=scale, mode="nearest"), w, padding=padding)
    torch.testing.assert_close(fused, plain)
    # <fold(w), v> = <w, unfold(v)>: unfold_weight_grad is the adjoint of fold_weight
    v = torch.randn(folded.shape, generator=gen, dtype=torch.float64)
    torch.testing.assert_close((folded * v).sum(), (w * subpixel.unfold_weight_grad(v, w.shape, scale, padding)).sum())


def test_pixel_shuffles_are_inverse():
    x = torch.randn(2, 12, 3, 5)
    y = subpixel.pixel_shuffle(x, (2, 2))
    assert y.shape == (2, 3, 6, 10)
    torch.testing.assert_close(subpixel.pixel_unshuffle(y, (2, 2)), x, rtol=0, atol=0)
