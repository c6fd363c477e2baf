"""Nearest upsampling followed by a "same" convolution, computed as one low-resolution convolution.

Along one dimension, with scale s, kernel k and padding p (2p = k - 1), the output pixel Y = s q + a
(phase a in [0, s)) reads upsampled pixels Y + i - p, i.e. input pixels q + m with m = floor((a + i - p) / s).
So each phase is a convolution of the low-resolution input with the folded kernel
W_a[m] = sum of w[i] over the i with floor((a + i - p) / s) = m. Each W_a is non-zero only on a window of
k2 offsets (for s = 2, k = 3: 2 of 3), so all s*s phases together are one convolution with s*s*O output
channels and k2 x k2 kernels, each phase read from the output at its window's offset and interleaved
(``gather_phases``). The upsampled image (s*s times larger), its columns, and the zero taps are never touched.
"""
from functools import lru_cache

from torch import arange

from .workspace import OWN_BUFFER, Workspace

# Up to this many output values per image, gather_phases reads along an index. Above it, on large images, the
# strided copy was as fast or faster at batch 1 (400K values: 138 against 217 us).
INDEXED = 1 << 16


@lru_cache(maxsize=None)  # geometry of a layer, asked for at every pass
def taps(scale, kernel, padding):
    """Return ``(pad, ((phase, i, m), ...))`` along one dimension: each kernel tap i of each phase lands on offset m.

    ``m`` is returned shifted by ``pad`` (so it indexes the folded kernel), and ``pad`` is the symmetric
    low-resolution padding, or None when the folded convolution would need asymmetric padding.
    """
    entries = [(a, i, (a + i - padding) // scale) for a in range(scale) for i in range(kernel)]
    low, high = min(m for _, _, m in entries), max(m for _, _, m in entries)
    pad = -low if -low == high else None
    return pad, tuple((a, i, m - low) for a, i, m in entries)


@lru_cache(maxsize=None)
def supported(scale, kernel, stride, padding, dilation):
    """True when the fused form applies: stride 1, dilation 1, a "same" kernel and symmetric folded padding."""
    return (stride == (1, 1) and dilation == (1, 1) and all(2 * p == k - 1 for p, k in zip(padding, kernel))
            and all(taps(s, k, p)[0] is not None for s, k, p in zip(scale, kernel, padding)))


_PHASE_TAPS = {}


def tap_matrix(scale, kernel, padding):
    """Return A as nested lists (scale * k2 rows, kernel columns): A[a * k2 + t][i] = 1 when tap i of phase a
    lands on offset t of the phase's window (``phase_windows``) of the folded kernel."""
    _, entries = taps(scale, kernel, padding)
    k2, starts = phase_windows(scale, kernel, padding)
    rows = [[0.0] * kernel for _ in range(scale * k2)]
    for phase, i, m in entries:
        rows[phase * k2 + m - starts[phase]][i] = 1.0
    return rows


def phase_taps(scale, kernel, padding, like, by_offset=False):
    """Return S (sh*sw*k2h*k2w, kh*kw): S[(a, b, t, u), (i, j)] = A_h[a k2h + t, i] A_w[b k2w + u, j], rows
    ordered by phase, then window offset (by window offset, then phase, when ``by_offset``).

    Cached per geometry, order, dtype and device: the tensors are constants, and building one takes many tiny ops.
    """
    key = (scale, kernel, padding, like.dtype, like.device, by_offset)
    if key not in _PHASE_TAPS:
        (sh, sw), (kh, kw) = scale, kernel
        a_h, a_w = tap_matrix(sh, kh, padding[0]), tap_matrix(sw, kw, padding[1])
        kh2, kw2 = len(a_h) // sh, len(a_w) // sw
        phases = [(a, b) for a in range(sh) for b in range(sw)]
        offsets = [(t, u) for t in range(kh2) for u in range(kw2)]
        rows = ([p + q for q in offsets for p in phases] if by_offset else [p + q for p in phases for q in offsets])
        _PHASE_TAPS[key] = like.new_tensor(
            [[a_h[a * kh2 + t][i] * a_w[b * kw2 + u][j] for i in range(kh) for j in range(kw)] for a, b, t, u in rows])
    return _PHASE_TAPS[key]


def fold_weight(weight, scale, padding, own=None):
    """Return the compact per-phase kernels (sh*sw*O, C, k2h, k2w), rows ordered (phase_h, phase_w, o), and
    the padding of the low-resolution convolution.

    Phase (a, b)'s kernel is W'_ab[o, c] = A_h[a] w[o, c] A_w[b]^T (``tap_matrix``): the folded kernel restricted
    to the window holding its non-zero taps. For each input channel c, the kernels of every phase and output
    are S w[:, c]^T (``phase_taps`` by offset, (k2h*k2w*sh*sw, kh*kw) times (kh*kw, O)): one batched GEMM over
    channels, whose (c, t, u, a, b, o) output is the compact weight transposed, a (sh*sw*O, C*k2h*k2w) matrix
    with unit stride down its columns, which the GEMMs of the convolution read as it is. At C = 100 this took
    25 us where one GEMM over all O*C kernels then a copy into (a, b, o, c, t, u) order took 61.

    Args:
        own: the Workspace (the layer's own) holding the result and the steps on the way, reused from call to
            call; a fresh one when None.
    """
    own = Workspace() if own is None else own
    out, s, w, compact, pad = fold_operands(weight, scale, padding, own)
    # beta=0: the GEMM overwrites the buffer without reading it (torch ignores its old values, NaN included).
    out.baddbmm_(s, w, beta=0)
    return compact, pad


def fold_operands(weight, scale, padding, own):
    """Return what ``fold_weight`` computes with: ``(out, s, w, compact, pad)``, where ``out.baddbmm_(s, w,
    beta=0)`` folds the kernels, ``compact`` is ``out`` viewed as the compact kernels and ``pad`` their padding
    (views of ``own``'s memory and of ``weight``, cached there)."""
    (sh, sw), (o, c, kh, kw) = scale, weight.shape
    k2h, k2w = (k2 for k2, _ in windows_of(scale, (kh, kw), padding))
    s = phase_taps(scale, (kh, kw), padding, weight, by_offset=True)
    rows = s.shape[0]
    by_channel = own.get("fold", (c, rows, o), weight)
    compact = own.strided("fold", (c, rows, o), weight, (sh * sw * o, c, k2h, k2w),
                          (1, rows * o, k2w * sh * sw * o, sh * sw * o), 0)
    return (by_channel, own.view_of(s, "fold.taps", lambda t: t.expand(c, -1, -1)),
            own.view_of(weight, "fold.weight", lambda w: w.reshape(o, c, kh * kw).permute(1, 2, 0)), compact,
            (taps(sh, kh, padding[0])[0], taps(sw, kw, padding[1])[0]))


def unfold_weight_grad(grad_t, scale, padding, into, own=None):
    """Add the adjoint of ``fold_weight`` to ``into`` (a contiguous gradient of the weight's shape) and return it,
    given the compact kernels' gradient transposed, G^T (C*k2h*k2w, sh*sw*O), as ``conv_ops.weight_grad`` returns
    it with ``transposed``.

    dL/dw[o, c] = sum over phases of A_h[a]^T dL/dW'_ab[o, c] A_w[b], i.e. for each channel c,
    (dL/dw[:, c])^T += S^T G^T_c, with S by offset (``phase_taps``) and G^T_c (k2h*k2w*sh*sw, O) channel c's
    rows of G^T: one batched GEMM over channels into a (C, kh*kw, O) buffer, then one addition to ``into``
    through a permuted view. At C = 100 this took 57 us, where G copied into (phase, t, u) x (o, c) order, one
    GEMM over all O*C kernels and the addition took 96 (a GEMM adding straight into ``into``'s permuted view took
    three times as long). ``own``: as for ``fold_weight``.
    """
    own = Workspace() if own is None else own
    out, s, rows, into_view, permuted = unfold_operands(scale, padding, into, own, grad_t)
    out.baddbmm_(s, grad_t.reshape(rows), beta=0)
    into_view.add_(permuted)
    return into


def unfold_operands(scale, padding, into, own, like):
    """Return what ``unfold_weight_grad`` computes with: ``(out, s, rows, into_view, permuted)``, where
    ``out.baddbmm_(s, grad_t.reshape(rows), beta=0)`` then ``into_view.add_(permuted)`` add the unfolded gradient
    (views of ``own``'s memory and of ``into``, cached there; ``like``: the dtype and device of the buffer)."""
    o, c, kh, kw = into.shape
    s = phase_taps(scale, (kh, kw), padding, like, by_offset=True)
    by_channel = own.get("unfold", (c, kh * kw, o), like)
    return (by_channel, own.view_of(s, "unfold.taps", lambda t: t.t().expand(c, -1, -1)), (c, s.shape[0], o),
            own.view_of(into, "unfold.into", lambda t: t.view(o, c, kh * kw)),
            own.view_of(by_channel, "unfold", lambda t: t.permute(2, 0, 1)))


@lru_cache(maxsize=None)
def phase_windows(scale, kernel, padding):
    """Return ``(k2, starts)`` along one dimension: each phase's non-zero taps fit in a window of k2 offsets
    of the folded kernel, starting at ``starts[phase]`` (kept inside the folded kernel)."""
    pad, entries = taps(scale, kernel, padding)
    low = [min(m for a, _, m in entries if a == phase) for phase in range(scale)]
    high = [max(m for a, _, m in entries if a == phase) for phase in range(scale)]
    k2 = max(h - l + 1 for l, h in zip(low, high))
    return k2, tuple(min(l, 2 * pad + 1 - k2) for l in low)


@lru_cache(maxsize=None)
def windows_of(scale, kernel, padding):
    """Return ``phase_windows`` along both dimensions."""
    return tuple(phase_windows(s, k, p) for s, k, p in zip(scale, kernel, padding))


def interleaved(t, scale):
    """View (N, O, H*sh, W*sw) as (N, sh, sw, O, H, W): element [n, a, b, o, q, r] is t[n, o, q*sh + a, r*sw + b]."""
    (sh, sw), (n, o, hs, ws) = scale, t.shape
    s_n, s_o, s_y, s_x = t.stride()
    return t.as_strided((n, sh, sw, o, hs // sh, ws // sw), (s_n, s_y, s_x, s_o, sh * s_y, sw * s_x),
                        t.storage_offset())


@lru_cache(maxsize=None)
def window_steps(windows):
    """Return how far the windows' start moves from one phase to the next, per dimension, or None when the
    starts do not step evenly and upwards (then no single strided view holds every phase's window)."""
    steps = []
    for _, starts in windows:
        step = starts[1] - starts[0] if len(starts) > 1 else 0
        if step < 0 or any(start != starts[0] + index * step for index, start in enumerate(starts)):
            return None
        steps.append(step)
    return tuple(steps)


def windowed(y, scale, windows, size):
    """View the compact output (N, sh*sw*O, H', W') as (N, sh, sw, O, H, W): phase (a, b)'s H x W window.

    Needs ``window_steps(windows)`` (always there for scale 2).
    """
    (sh, sw), ((_, rows), (_, cols)), (h, w), (step_h, step_w) = scale, windows, size, window_steps(windows)
    n, o = y.shape[0], y.shape[1] // (sh * sw)
    s_n, s_c, s_y, s_x = y.stride()
    strides = (s_n, sw * o * s_c + step_h * s_y, o * s_c + step_w * s_x, s_c, s_y, s_x)
    return y.as_strided((n, sh, sw, o, h, w), strides, y.storage_offset() + rows[0] * s_y + cols[0] * s_x)


def gather_phases(y, scale, windows, size):
    """Interleave the phases of the compact convolution's output into the upsampled output.

    Where the windows step evenly (``window_steps``), one ``index_select`` per image along a cached index
    (``gather_index``) up to INDEXED values per image, one strided copy above; else ``gather_each_phase``.
    The strided copy's innermost loop runs over the sw phases of a row (2 values): at C = 48, batch 4, it took
    35 us where the indexed read takes 16 (batch 256: 2.3 against 1.2 ms).

    Shape:
        y (N, sh*sw*O, H', W') -> (N, O, H*sh, W*sw), with out[:, :, a::sh, b::sw] = phase (a, b) shifted.
    """
    if window_steps(windows) is None:
        return gather_each_phase(y, scale, windows, size)
    (sh, sw), (h, w), n = scale, size, y.shape[0]
    shape = (n, y.shape[1] // (sh * sw), h * sh, w * sw)
    index = phase_index(tuple(y.shape[1:]), scale, windows, size, y.device)
    if index is not None:
        return y.reshape(n, -1).index_select(1, index).view(shape)
    out = y.new_empty(shape)
    interleaved(out, scale).copy_(windowed(y, scale, windows, size))
    return out


def phase_index(y_shape, scale, windows, size, device):
    """Return the index ``gather_phases`` reads one image's compact output along (``gather_index``), or None where
    it copies instead (more than INDEXED values per image, or windows that do not step evenly)."""
    if window_steps(windows) is None or y_shape[0] * size[0] * size[1] > INDEXED:
        return None
    return gather_index(y_shape, scale, windows, size, device)


@lru_cache(maxsize=16)  # a constant per geometry, at most 512 KiB (INDEXED int64 values)
def gather_index(y_shape, scale, windows, size, device):
    """Return (O*H*sh*W*sw,) int64: where in one image's compact output (``y_shape``, without the batch) each
    value of its upsampled output is read from, in the output's order."""
    (sh, sw), (h, w) = scale, size
    positions = arange(y_shape[0] * y_shape[1] * y_shape[2], device=device).view((1,) + y_shape)
    index = positions.new_empty((1, y_shape[0] // (sh * sw), h * sh, w * sw))
    interleaved(index, scale).copy_(windowed(positions, scale, windows, size))
    return index.view(-1)


def gather_each_phase(y, scale, windows, size):
    """``gather_phases`` one phase at a time (the readable form, for any windows)."""
    (sh, sw), ((_, rows), (_, cols)), (h, w) = scale, windows, size
    n = y.shape[0]
    phases = y.view(n, sh, sw, -1, y.shape[2], y.shape[3])
    out = y.new_empty((n, phases.shape[3], h * sh, w * sw))
    for a in range(sh):
        for b in range(sw):
            out[:, :, a::sh, b::sw] = phases[:, a, b, :, rows[a]:rows[a] + h, cols[b]:cols[b] + w]
    return out


def scatter_phases(grad, scale, windows, y_shape, into=None):
    """The adjoint of ``gather_phases``: the output gradient laid back on the compact output's grid.

    Given ``into`` (the layer's own Workspace), a grid below ``OWN_BUFFER`` values is its memory, valid until the
    next call: only the windows are written, so the cells outside them are zeroed once, not at every call.
    Larger grids are fresh tensors, freed after the layer's backward pass (kept, they would add to the peak
    memory of the next forward pass, where zeroing them is a small share of the layer's time).
    """
    if window_steps(windows) is None:
        return scatter_each_phase(grad, scale, windows, y_shape)
    size = (grad.shape[2] // scale[0], grad.shape[3] // scale[1])
    if into is None or y_shape[0] * y_shape[1] * y_shape[2] * y_shape[3] >= OWN_BUFFER:
        out = grad.new_zeros(y_shape)
        phases = windowed(out, scale, windows, size)
    else:
        out, phases = phase_grid(scale, windows, y_shape, size, into, grad)
    phases.copy_(interleaved(grad, scale))
    return out


def phase_grid(scale, windows, y_shape, size, into, like):
    """Return ``(grid, phases)``: ``scatter_phases``'s grid in ``into``'s memory, zero outside the windows, and
    its windows (``windowed``), both cached in ``into``."""
    out, ready = into.framed("phase_grad", y_shape, like, windows)
    if not ready:
        out.zero_()
    # Cached per geometry too: the layer's attributes may change while the grid keeps its shape.
    return out, into.view_of(out, ("phase_grad", scale, windows, size), lambda t: windowed(t, scale, windows, size))


def scatter_each_phase(grad, scale, windows, y_shape):
    """``scatter_phases`` one phase at a time (the readable form, for any windows)."""
    (sh, sw), ((_, rows), (_, cols)) = scale, windows
    n, _, hs, ws = grad.shape
    h, w = hs // sh, ws // sw
    out = grad.new_zeros(y_shape)
    phases = out.view(n, sh, sw, -1, y_shape[2], y_shape[3])
    for a in range(sh):
        for b in range(sw):
            phases[:, a, b, :, rows[a]:rows[a] + h, cols[b]:cols[b] + w] = grad[:, :, a::sh, b::sw]
    return out
