"""The sub-pixel rewriting of nearest upsampling + convolution: folding, its adjoint, pixel shuffles."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from Miniproject_2.others.kernels import subpixel
from Miniproject_2.others.kernels.workspace import Workspace


def test_taps_of_the_course_block():
    pad, entries = subpixel.taps(2, 3, 1)
    assert pad == 1
    # phase 0 reads rows q-1 (w0) and q (w1 + w2); phase 1 reads q (w0 + w1) and q+1 (w2)
    assert entries == ((0, 0, 0), (0, 1, 1), (0, 2, 1), (1, 0, 1), (1, 1, 1), (1, 2, 2))


@pytest.mark.parametrize("scale, kernel, padding, expected", [
    ((2, 2), (3, 3), (1, 1), True), ((2, 2), (3, 3), (0, 0), False), ((2, 3), (5, 3), (2, 1), True),
    ((2, 2), (2, 2), (0, 0), False)])
def test_supported(scale, kernel, padding, expected):
    assert subpixel.supported(scale, kernel, (1, 1), padding, (1, 1)) == expected
    assert not subpixel.supported(scale, kernel, (2, 2), padding, (1, 1))


GEOMETRIES = [((2, 2), (3, 3), (1, 1)), ((3, 2), (5, 3), (2, 1)), ((2, 2), (1, 1), (0, 0)), ((2, 2), (5, 5), (2, 2)),
              ((3, 3), (3, 3), (1, 1)), ((4, 2), (3, 3), (1, 1))]


def transposed(v):
    """A gradient of the compact kernels (sh*sw*O, C, k2h, k2w) in the (C*k2h*k2w, sh*sw*O) layout that
    ``unfold_weight_grad`` reads."""
    return v.reshape(v.shape[0], -1).t().contiguous()


def compact_forward(x, w, scale, padding):
    """The fused computation spelled out with torch's conv2d: fold into phase windows, convolve, gather."""
    compact, pad = subpixel.fold_weight(w, scale, padding)
    windows = tuple(subpixel.phase_windows(s, k, p) for s, k, p in zip(scale, w.shape[2:], padding))
    y = F.conv2d(x, compact, padding=pad)
    return subpixel.gather_phases(y, scale, windows, x.shape[2:]), compact, windows, y


@settings(max_examples=30)
@given(st.sampled_from(GEOMETRIES), st.integers(0, 2**31 - 1))
def test_compact_convolution_equals_upsample_then_conv(geometry, seed):
    scale, kernel, padding = geometry
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(2, 3, 5, 4, generator=gen, dtype=torch.float64)
    w = torch.randn(4, 3, *kernel, generator=gen, dtype=torch.float64)
    fused, compact, windows, y = compact_forward(x, w, scale, padding)
    plain = F.conv2d(F.interpolate(x, scale_factor=scale, mode="nearest"), w, padding=padding)
    torch.testing.assert_close(fused, plain)
    # each adjoint satisfies <A u, v> = <u, A* v>
    v = torch.randn(compact.shape, generator=gen, dtype=torch.float64)
    adjoint = subpixel.unfold_weight_grad(transposed(v), scale, padding, torch.zeros_like(w))
    torch.testing.assert_close((compact * v).sum(), (w * adjoint).sum())
    g = torch.randn(fused.shape, generator=gen, dtype=torch.float64)
    torch.testing.assert_close((fused * g).sum(), (y * subpixel.scatter_phases(g, scale, windows, y.shape)).sum())


def test_the_course_block_skips_the_zero_taps():
    """Nearest x2 then a 3x3 conv: each phase needs a 2x2 window of the 3x3 folded kernel, 4 of 9 taps."""
    assert subpixel.phase_windows(2, 3, 1) == (2, (0, 1))
    compact, pad = subpixel.fold_weight(torch.ones(5, 4, 3, 3), (2, 2), (1, 1))
    assert compact.shape == (4 * 5, 4, 2, 2) and pad == (1, 1)
    assert compact.sum() == 4 * 5 * 4 * 9  # every tap of every phase lands in its window


@pytest.mark.parametrize("indexed", [subpixel.INDEXED, 0])
@pytest.mark.parametrize("scale, kernel, padding", GEOMETRIES)
def test_one_strided_copy_equals_the_phase_by_phase_form(scale, kernel, padding, indexed, monkeypatch):
    """gather_phases (an indexed read, or one strided copy above INDEXED values per image, where the windows step
    evenly) and scatter_phases (one strided copy) against the plain loops, with a non-contiguous output gradient
    as Concat hands it out."""
    monkeypatch.setattr(subpixel, "INDEXED", indexed)
    gen = torch.Generator().manual_seed(0)
    windows = tuple(subpixel.phase_windows(s, k, p) for s, k, p in zip(scale, kernel, padding))
    k2h, k2w = windows[0][0], windows[1][0]
    pad = (subpixel.taps(scale[0], kernel[0], padding[0])[0], subpixel.taps(scale[1], kernel[1], padding[1])[0])
    size = (5, 4)
    y = torch.randn(2, scale[0] * scale[1] * 3, size[0] + 2 * pad[0] - k2h + 1, size[1] + 2 * pad[1] - k2w + 1,
                    generator=gen, dtype=torch.float64)
    assert torch.equal(subpixel.gather_phases(y, scale, windows, size),
                       subpixel.gather_each_phase(y, scale, windows, size))
    wide = torch.randn(2, 5, size[0] * scale[0], size[1] * scale[1], generator=gen, dtype=torch.float64)
    grad = wide[:, 1:4]
    assert not grad.is_contiguous()
    expected = subpixel.scatter_each_phase(grad, scale, windows, y.shape)
    assert torch.equal(subpixel.scatter_phases(grad, scale, windows, y.shape), expected)
    if subpixel.window_steps(windows) is not None:  # into a layer's own memory: the cells outside are zeroed once
        own = Workspace()
        for scribble in (False, True, False):
            if scribble:
                own.get("phase_grad", tuple(y.shape), y).fill_(float("nan"))
            assert torch.equal(subpixel.scatter_phases(grad, scale, windows, y.shape, own), expected)


@pytest.mark.parametrize("scale, kernel, padding", GEOMETRIES)
def test_folding_and_unfolding_in_a_workspace_ignore_what_its_memory_held(scale, kernel, padding):
    gen = torch.Generator().manual_seed(1)
    w = torch.randn(4, 3, *kernel, generator=gen, dtype=torch.float64)
    expected, pad = subpixel.fold_weight(w, scale, padding)
    v = torch.randn(expected.shape, generator=gen, dtype=torch.float64)
    start = torch.randn(w.shape, generator=gen, dtype=torch.float64)
    adjoint = subpixel.unfold_weight_grad(transposed(v), scale, padding, start.clone())
    own = Workspace()
    subpixel.fold_weight(w, scale, padding, own)
    subpixel.unfold_weight_grad(transposed(v), scale, padding, start.clone(), own)
    for flat in own.buffers.values():
        flat.fill_(float("nan"))
    compact, own_pad = subpixel.fold_weight(w, scale, padding, own)
    assert torch.equal(compact, expected) and own_pad == pad
    torch.testing.assert_close(subpixel.unfold_weight_grad(transposed(v), scale, padding, start.clone(), own), adjoint,
                               rtol=0, atol=0)


def test_one_strided_view_needs_evenly_stepping_windows():
    """Scale 2 always has one strided view; scale 3 with a 3x3 kernel (windows start at 0, 1, 1) has none."""
    assert subpixel.window_steps((subpixel.phase_windows(2, 3, 1),) * 2) == (1, 1)
    assert subpixel.phase_windows(3, 3, 1) == (2, (0, 1, 1))
    assert subpixel.window_steps((subpixel.phase_windows(3, 3, 1), subpixel.phase_windows(2, 3, 1))) is None
    assert subpixel.window_steps(((2, (1, 0)),)) is None  # stepping down
